// Shared components: every page takes these from here.
export { Address } from "./address";
export { Amount, formatAmount } from "./amount";
export { ErrorNote, errorText } from "./error";
export { PendingTx } from "./pending";
export { Empty, Loading } from "./states";
export { LikeButton, Post, isReply, when, type MessageOut, type MessagePage } from "./post";
export { AppKeyHint } from "./appkey-hint";
