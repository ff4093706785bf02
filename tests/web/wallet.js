// An EIP-1193 test wallet, injected into every page of the browser tests before the app loads
// (page.add_init_script) and announced by EIP-6963. It holds no key: every request goes to the
// Python side (tests/web/conftest.py, TestWallet.handle, exposed as window.__mecenateWallet),
// which signs with a dev key (eth-account), sends transactions to anvil, and can reject the next
// prompt or sit on another chain. Answers come back as {result} or {error: {code, message}}, plus
// events the wallet emits after answering (chainChanged, accountsChanged).
(() => {
  const listeners = {};
  const emit = (event, value) => (listeners[event] || []).slice().forEach((fn) => fn(value));
  const provider = {
    isMecenateTestWallet: true,
    async request({ method, params }) {
      const answer = await window.__mecenateWallet(method, JSON.stringify(params ?? []));
      for (const [event, value] of answer.events || []) setTimeout(() => emit(event, value), 0);
      if (answer.error) {
        const e = new Error(answer.error.message);
        e.code = answer.error.code;
        if (answer.error.data !== undefined) e.data = answer.error.data;
        throw e;
      }
      return answer.result;
    },
    on(event, fn) {
      (listeners[event] = listeners[event] || []).push(fn);
      return provider;
    },
    removeListener(event, fn) {
      listeners[event] = (listeners[event] || []).filter((f) => f !== fn);
      return provider;
    },
  };
  const info = Object.freeze({
    uuid: "7c1e5a3e-0000-4000-8000-00000000test",
    name: "Mecenate Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'%3E%3Crect width='8' height='8' fill='%23444'/%3E%3C/svg%3E",
    rdns: "local.mecenate.testwallet",
  });
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
  // For the tests: make the wallet emit an event as if the user acted in it.
  window.__testWallet = { emit };
})();
