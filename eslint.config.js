// Lint: typescript-eslint's recommended rules (the ones that find real bugs), unused eslint-disable comments
// reported as errors so every one that stays means something. Formatting is prettier's (npm run format:check).
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");

module.exports = tseslint.config(
  { ignores: ["node_modules/", "bin/", ".pulumi-state/", ".local/", ".ducklake/", "**/*.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Pulumi's dynamic-provider API (check/diff/create inputs) and parsed JSON are untyped by nature.
      "@typescript-eslint/no-explicit-any": "off",
      // `_name` marks a parameter or destructured value left out on purpose ({ secret: _omit, ...rest }).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Program code reports through Pulumi (pulumi.log, errors at preview), never the console.
    files: ["*.ts", "model/**/*.ts", "components/**/*.ts", "providers/**/*.ts", "postgres/**/*.ts", "policies/**/*.ts"],
    rules: { "no-console": "error" },
  },
  {
    // Tests load modules after jest.mock/isolateModules with require(), and match aligned CLI output literally.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off", "no-regex-spaces": "off" },
  },
);
