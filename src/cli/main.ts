#!/usr/bin/env node
// Placeholder entry point; the real CLI (flags, modes, signals) lands with issue #2.
console.log('openscope');
