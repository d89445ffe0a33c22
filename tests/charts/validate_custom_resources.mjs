// Validates Prometheus Operator custom resources against the CRD schemas that
// @kubernetes-models/prometheus-operator ships (installed into .tools by scripts/install-tools.sh).
// Usage: node validate_custom_resources.mjs <node_modules dir>  < objects.json
// Prints a JSON list of errors (empty when every object is valid).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const objects = JSON.parse(readFileSync(0, "utf8"));
const errors = [];
for (const obj of objects) {
  const [group, version] = obj.apiVersion.split("/");
  const file = `${modules}/@kubernetes-models/prometheus-operator/${group}/${version}/${obj.kind}.js`;
  const model = (await import(pathToFileURL(file).href))[obj.kind];
  try {
    new model(obj).validate();
  } catch (error) {
    errors.push(`${obj.kind}/${obj.metadata.name}: ${error.message}`);
  }
}
console.log(JSON.stringify(errors));
