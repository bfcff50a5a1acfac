#!/usr/bin/env node
// The CLI runs from the compiled output; `npm run build` produces it.
require('../dist/src/client/main.js');
