import { useState } from "preact/hooks";

/** An address shortened to 0x1234…abcd, the whole one in its title, with a copy button. */
export function Address(p: { value: string; link?: boolean }) {
  const [copied, setCopied] = useState(false);
  const short = p.value.length > 12 ? `${p.value.slice(0, 6)}…${p.value.slice(-4)}` : p.value;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(p.value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      /* no clipboard (an insecure page): the title still shows the whole address */
    }
  };
  return (
    <span class="address">
      {p.link ? (
        <a href={`#/u/${p.value}`} title={p.value}>
          <code>{short}</code>
        </a>
      ) : (
        <code title={p.value}>{short}</code>
      )}
      <button type="button" class="icon" onClick={copy} aria-label={`Copy address ${p.value}`}>
        {copied ? <CheckIcon /> : <CopyIcon />}
      </button>
    </span>
  );
}

// Drawn, not a font's glyph: the symbols for these are missing from many system fonts.
function CopyIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.5">
      <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
      <path d="M10.5 3.5v-1a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h1" />
    </svg>
  );
}

function CheckIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
      <path d="M3 8.5l3 3 7-7" />
    </svg>
  );
}
