"""The async engine: admission, dispatch, one attempt, retries, and the public entry points."""
