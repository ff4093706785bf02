import type { ComponentChildren } from "preact";

export function Loading(p: { what?: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading{p.what ? ` ${p.what}` : ""}…
    </p>
  );
}

export function Empty(p: { children: ComponentChildren }) {
  return <p class="empty">{p.children}</p>;
}
