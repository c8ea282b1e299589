// The globals terminal.html's classic scripts define (xterm.js and its fit addon from gateway/node_modules), for
// TypeScript's check of terminal.js.
import type { Terminal as XTerm } from '@xterm/xterm';
import type { FitAddon as XFitAddon } from '@xterm/addon-fit';

declare global {
  const Terminal: typeof XTerm;
  const FitAddon: { FitAddon: typeof XFitAddon };
}
