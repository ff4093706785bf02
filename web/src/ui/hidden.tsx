// Nothing disappears silently: a view that hides posts says how many, lists them on request with
// who hid each and why, and every post shows who paid for it.
import { Address } from "./address";
import type { HiddenOut } from "./post";

/** The node's hide reasons (HiddenOut.reason) in words. */
const WHY: Record<string, string> = {
  not_a_member: "Its author was not a member of the community when they posted it",
  gate_not_met: "Its author does not meet the community's gate now",
  gate_unverifiable: "This node cannot check the community's gate (it does not follow the gate's tokens)",
  hidden_by_moderator: "Hidden by a moderator",
  hidden_by_post_author: "Hidden by the author of the post it replies to",
  blocked_by_post_author: "Its author is blocked by the author of the post it replies to",
  muted: "You mute its author",
  blocked: "You block its author",
};

export function whyHidden(reason: string): string {
  return WHY[reason] ?? `Hidden (${reason})`;
}

/** Why a listed post is hidden: each reason, who decided it, their words. */
export function HiddenNote(p: { reasons: HiddenOut[] }) {
  return (
    <div class="hidden-note" role="note">
      <strong>Hidden from this view.</strong>
      <ul>
        {p.reasons.map((h, i) => (
          <li key={i} data-reason={h.reason}>
            {whyHidden(h.reason)}
            {h.by && (
              <>
                {" "}
                (<Address value={h.by} link />)
              </>
            )}
            {h.detail && <>: “{h.detail}”</>}.
          </li>
        ))}
      </ul>
    </div>
  );
}

/** "Paid partnership with …": the post's author disclosed who paid. */
export function PaidBy(p: { payers: string[] }) {
  return (
    <p class="paid-by">
      Paid partnership with{" "}
      {p.payers.map((a) => (
        <Address key={a} value={a} link />
      ))}
    </p>
  );
}

/** How many posts the view hides, and a toggle that lists them with why (`show_hidden`). */
export function ShowHidden(p: { count: number; shown: boolean; onToggle: () => void }) {
  if (p.count === 0 && !p.shown) return null;
  return (
    <p class="row hidden-bar">
      <span>
        {p.count} hidden {p.count === 1 ? "post" : "posts"} here.
      </span>
      <button type="button" aria-pressed={p.shown} onClick={p.onToggle}>
        Show hidden ({p.count})
      </button>
    </p>
  );
}
