import { startPage } from "./page.js";

await startPage(["booth"]);
