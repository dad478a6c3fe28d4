// Validates a Continue config.yaml (path in argv[2]) with Continue's own package,
// @continuedev/config-yaml: its zod schema, its YAML parser and its semantic validation.
// Prints what failed and exits 1, or prints "ok".
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { configYamlSchema, parseConfigYaml, validateConfigYaml } from "@continuedev/config-yaml";

const text = readFileSync(process.argv[2], "utf8");
const problems = [];
const raw = YAML.parse(text);
const schema = configYamlSchema.safeParse(raw);
if (!schema.success) problems.push(`schema: ${JSON.stringify(schema.error.issues)}`);
let parsed;
try {
  parsed = parseConfigYaml(text);
} catch (e) {
  problems.push(`parseConfigYaml: ${e.message}`);
}
if (parsed) {
  for (const e of validateConfigYaml(parsed)) if (e.fatal !== false) problems.push(`validate: ${e.message}`);
  // The schema strips keys it does not know: the ones the snippet relies on must survive parsing.
  for (const [i, m] of (raw.models ?? []).entries()) {
    for (const k of Object.keys(m)) {
      if (!(k in (schema.data?.models?.[i] ?? {}))) problems.push(`models[${i}].${k} is not a key Continue knows`);
    }
  }
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("ok");
