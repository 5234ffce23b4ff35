// The size of a profile file the hub takes, in one module with no imports so the web UI's import form bounds
// its text box by the same number the hub refuses above (style.md rule 16).

/** Profile files larger than this are rejected before parsing: no real profile comes close, and it bounds work. */
export const MAX_PROFILE_BYTES = 1024 * 1024;
