#!/usr/bin/env node
// Committed launcher: npm links bins at install time, before `dist/` is built.
'use strict';
require('../dist/main.js')
  .main(process.argv.slice(2), process, process.env)
  .then((exitCode) => {
    process.exitCode = exitCode;
  });
