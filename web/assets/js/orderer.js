import { startPage } from "./page.js";

await startPage(["orderer"]);
