// Loads the WebAssembly build of urna-wasm (web/build.sh writes assets/pkg/). Every piece of
// cryptography the pages use comes from it.

let loaded = null;

export function loadUrna() {
  if (!loaded) {
    loaded = (async () => {
      let module;
      try {
        module = await import("/assets/pkg/urna_wasm.js");
        await module.default({ module_or_path: "/assets/pkg/urna_wasm_bg.wasm" });
      } catch (e) {
        const error = new Error(`WebAssembly not available: ${e}`);
        error.code = "wasm_missing";
        throw error;
      }
      return module;
    })();
  }
  return loaded;
}
