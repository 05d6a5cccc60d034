declare module 'node-gyp-build' {
  /** Loads the addon for this platform from build/Release or prebuilds/ under `dir`. */
  function load(dir: string): unknown;
  namespace load {
    /** The path load(dir) would require, without loading it. */
    function resolve(dir: string): string;
  }
  export = load;
}
