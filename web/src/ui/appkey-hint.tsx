import { appKey } from "../appkey";
import { useSession } from "../wallet";

/** A hint, where it matters, that an app key saves a wallet prompt per action. */
export function AppKeyHint() {
  const session = useSession();
  if (!session || appKey(session.address, session.chainId)) return null;
  return (
    <p class="muted">
      Each like, follow and post asks your wallet to sign. <a href="#/settings">Add an app key</a> to sign them
      in this browser without a prompt.
    </p>
  );
}
