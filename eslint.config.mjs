// Lint for src/, test/, scripts/, examples/ and bench/ (the TypeScript type checks run separately with tsc).
// src/ is layered: each room imports only the rooms before it in ROOMS, and only src/node/
// touches Node internals (src/node/README.md lists what it touches and why).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ROOMS = ['kernel', 'node', 'core', 'inspect', 'birth', 'policy', 'telemetry', 'cli'];
const ORDER = ROOMS.join(' < ');

// A room may import the rooms below it; neither the rooms above it nor the entry points.
const layering = ROOMS.map((room, i) => ({
  files: [`src/${room}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        {
          group: [...ROOMS.slice(i + 1).map((up) => `../${up}/*`), '../index', '../register', '../otel', '../cli', '../*.js'],
          message: `src/${room}/ imports only the rooms below it (${ORDER}) and never an entry point.`,
        },
      ],
    }],
  },
}));

// Node internals, outside src/node/: underscore members of Node objects, their symbols, prototype writes.
const INTERNAL = '/^(_handle|_listen2|_destroy|_final|_parent|_parentWrap|_normalizeArgs|_readableState|_writableState|_connectionKey|_listeningId|_events)$/';
const internals = {
  files: ['src/**/*.ts'],
  ignores: ['src/node/**'],
  rules: {
    'no-restricted-syntax': ['error',
      { selector: `MemberExpression[property.name=${INTERNAL}]`, message: 'Node internals are read and written only in src/node/.' },
      { selector: `MemberExpression[property.value=${INTERNAL}]`, message: 'Node internals are read and written only in src/node/.' },
      { selector: `TSPropertySignature[key.name=${INTERNAL}]`, message: 'Node internals are typed only in src/node/.' },
      { selector: `Property[key.name=${INTERNAL}]`, message: 'Node internals are read and written only in src/node/.' },
      { selector: "CallExpression[callee.property.name='getOwnPropertySymbols']", message: "Node's internal symbols are looked up only in src/node/." },
      { selector: "AssignmentExpression > MemberExpression.left > MemberExpression.object[property.name='prototype']", message: "Node's prototypes are wrapped only in src/node/." },
    ],
  },
};

export default tseslint.config(
  { ignores: ['lib/', 'build/', 'prebuilds/', '**/node_modules/', '.cache/', '**/*.d.ts', '**/*.d.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }] } },
  ...layering,
  internals,
);
