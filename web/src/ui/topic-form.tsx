import { useState } from "preact/hooks";
import { TOPIC } from "../community";

/** A topic typed as a reader would ("#Jazz " too), in the node's form ("jazz"). */
const canonical = (typed: string) => typed.trim().toLowerCase().replace(/^#/, "");

/** A one-field search form for a community topic: hands `onTopic` the topic in canonical form
 * ("" for none), and refuses to submit text that is no topic. */
export function TopicForm(p: { id: string; initial: string; button: string; onTopic: (topic: string) => void }) {
  const [typed, setTyped] = useState(p.initial);
  const topic = canonical(typed);
  return (
    <form
      class="row"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        p.onTopic(topic);
      }}
    >
      <label for={p.id} class="inline">
        Topic
      </label>
      <input
        id={p.id}
        class="grow"
        value={typed}
        spellcheck={false}
        placeholder="jazz"
        onInput={(e) => setTyped(e.currentTarget.value)}
      />
      <button type="submit" disabled={topic !== "" && !TOPIC.test(topic)}>
        {p.button}
      </button>
    </form>
  );
}
