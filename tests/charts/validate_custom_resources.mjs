// Validates custom resources against the CRD schemas the @kubernetes-models packages ship
// (installed into .tools by scripts/install-tools.sh): Prometheus Operator, Argo CD, Flux,
// Gateway API and External Secrets Operator objects.
// Usage: node validate_custom_resources.mjs <node_modules dir>  < objects.json
// Prints a JSON list of errors (empty when every object is valid).
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// API group → package; a group not listed here is an error, never a silent pass.
const PACKAGES = {
  "monitoring.coreos.com": "prometheus-operator",
  "argoproj.io": "argo-cd",
  "source.toolkit.fluxcd.io": "flux-cd",
  "helm.toolkit.fluxcd.io": "flux-cd",
  "kustomize.toolkit.fluxcd.io": "flux-cd",
  "gateway.networking.k8s.io": "gateway-api",
  "external-secrets.io": "external-secrets",
};

const modules = process.argv[2];
const objects = JSON.parse(readFileSync(0, "utf8"));
const errors = [];
for (const obj of objects) {
  const name = `${obj.kind}/${obj.metadata?.name}`;
  const [group, version] = String(obj.apiVersion).split("/");
  const pkg = PACKAGES[group];
  const file = `${modules}/@kubernetes-models/${pkg}/${group}/${version}/${obj.kind}.js`;
  if (!pkg || !existsSync(file)) {
    errors.push(`${name}: no schema for ${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  const model = (await import(pathToFileURL(file).href))[obj.kind];
  try {
    new model(obj).validate();
  } catch (error) {
    errors.push(`${name}: ${error.message}`);
  }
}
console.log(JSON.stringify(errors));
