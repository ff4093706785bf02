// Shared components: every page takes these from here.
export { Address } from "./address";
export { Amount, formatAmount } from "./amount";
export { ErrorNote, errorText, InputError } from "./error";
export { PendingTx } from "./pending";
export { Empty, Loading } from "./states";
export {
  LikeButton,
  Post,
  PostList,
  isReply,
  mergePages,
  when,
  type HiddenOut,
  type MessageOut,
  type MessagePage,
  type PostPage,
  type Ranking,
} from "./post";
export { HiddenNote, PaidBy, ShowHidden, whyHidden } from "./hidden";
export { AppKeyHint } from "./appkey-hint";
export { TopicForm } from "./topic-form";
