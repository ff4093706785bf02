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
        {copied ? "✓" : "⧉"}
      </button>
    </span>
  );
}
