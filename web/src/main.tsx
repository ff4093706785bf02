// Entry: start wallet discovery (a wallet used before reconnects meanwhile), read the node's
// configuration, render the app.
import { render } from "preact";
import { App } from "./app";
import { loadConfig } from "./config";
import "./style.css";
import { errorText } from "./ui";
import { startWallet } from "./wallet";

const root = document.getElementById("app")!;

async function start(): Promise<void> {
  startWallet();
  for (let attempt = 0; ; attempt++) {
    try {
      await loadConfig();
      break;
    } catch (e) {
      root.innerHTML = "";
      const p = document.createElement("p");
      p.className = "banner danger";
      p.setAttribute("role", "alert");
      p.textContent = `${errorText(e)} Retrying…`;
      root.append(p);
      await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** attempt)));
    }
  }
  root.innerHTML = "";
  render(<App />, root);
}

void start();
