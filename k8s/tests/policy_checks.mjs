// Rules of this project's manifests beyond the schemas: every workload is
// hardened and bounded, and probed unless it is a Job; each messenger
// Deployment has its Service, ServiceAccount and PodDisruptionBudget, and a
// grace period longer than its drain, and each service's image runs in
// migrate-only mode in a Job; the namespace denies by default.

const kWorkloads = new Set(["Deployment", "StatefulSet", "Job"]);

function portOf(address) {
  const colon = (address ?? "").lastIndexOf(":");
  return colon < 0 ? NaN : Number(address.slice(colon + 1));
}

// `probed`: a long-running container (Jobs and init containers have no probes).
function checkContainer(where, c, problems, probed) {
  const sc = c.securityContext ?? {};
  if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
  if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
  if (!(sc.capabilities?.drop ?? []).includes("ALL")) problems.push(`${where}: capabilities must drop ALL`);
  if (sc.privileged === true) problems.push(`${where}: privileged`);
  for (const kind of ["requests", "limits"]) {
    for (const resource of ["cpu", "memory"]) {
      if (!c.resources?.[kind]?.[resource]) problems.push(`${where}: resources.${kind}.${resource} missing`);
    }
  }
  if (!probed) return;
  for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
    if (!c[probe]) problems.push(`${where}: ${probe} missing`);
  }
}

// A Job container that applies the migrations of `image` (migrate-only mode).
function migrates(objects, image) {
  return objects.filter((o) => o.kind === "Job").some((j) => j.spec.template.spec.containers.some(
    (c) => c.image === image &&
      (c.env ?? []).some((e) => e.name === "MESSENGER_MIGRATE_ONLY" && ["1", "true"].includes(e.value))));
}

// The admin port the binary listens on (its *_ADMIN_ADDR) must be the
// container port named "admin" that the probes use.
function checkAdminPort(where, c, problems) {
  const adminEnv = (c.env ?? []).find((e) => /^MESSENGER_\w+_ADMIN_ADDR$/.test(e.name));
  const adminPort = (c.ports ?? []).find((p) => p.name === "admin");
  if (!adminEnv || !adminPort) {
    problems.push(`${where}: needs a MESSENGER_*_ADMIN_ADDR and a port named admin`);
    return;
  }
  if (portOf(adminEnv.value) !== adminPort.containerPort) {
    problems.push(`${where}: ${adminEnv.name}=${adminEnv.value} but port admin is ${adminPort.containerPort}`);
  }
  for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
    if (c[probe]?.httpGet?.port !== "admin") problems.push(`${where}: ${probe} not on the admin port`);
  }
}

function preStopSeconds(c) {
  const cmd = c.lifecycle?.preStop?.exec?.command ?? [];
  return cmd[0] === "/bin/sleep" ? Number(cmd[1]) : 0;
}

function selects(selector, labels) {
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
}

export function checkPolicies(objects) {
  const problems = [];
  const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("messenger-config"));
  const drainMs = Number(config?.data?.MESSENGER_DRAIN_TIMEOUT_MS ?? 10000);
  const named = (kind) => objects.filter((o) => o.kind === kind);
  const policies = named("NetworkPolicy");
  const denyAll = policies.some(
    (p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && !p.spec.ingress && !p.spec.egress &&
      ["Ingress", "Egress"].every((t) => (p.spec.policyTypes ?? []).includes(t)));
  if (!denyAll) problems.push("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)");

  for (const w of objects.filter((o) => kWorkloads.has(o.kind))) {
    const name = `${w.kind}/${w.metadata.name}`;
    const pod = w.spec.template.spec;
    const psc = pod.securityContext ?? {};
    if (psc.runAsNonRoot !== true) problems.push(`${name}: runAsNonRoot must be true`);
    if (psc.seccompProfile?.type !== "RuntimeDefault") problems.push(`${name}: seccompProfile must be RuntimeDefault`);
    if (pod.automountServiceAccountToken !== false) problems.push(`${name}: automountServiceAccountToken must be false`);
    for (const c of pod.initContainers ?? []) checkContainer(`${name} container ${c.name}`, c, problems, false);
    for (const c of pod.containers) checkContainer(`${name} container ${c.name}`, c, problems, w.kind !== "Job");
    const labels = w.spec.template.metadata?.labels ?? {};
    if (w.kind !== "Deployment") continue;
    // Deployments are messenger's binaries (the data stores are StatefulSets):
    // without the label the rules below, and the NetworkPolicies, miss them.
    if (labels["app.kubernetes.io/part-of"] !== "messenger") {
      problems.push(`${name}: pod template lacks app.kubernetes.io/part-of: messenger`);
      continue;
    }

    const c = pod.containers[0];
    checkAdminPort(`${name}`, c, problems);
    // A service's schema is migrated by a Job before its pods roll.
    if (labels["app.kubernetes.io/component"] === "service" && !migrates(objects, c.image)) {
      problems.push(`${name}: no Job container runs ${c.image} with MESSENGER_MIGRATE_ONLY=1`);
    }
    const needMs = drainMs + preStopSeconds(c) * 1000;
    if ((pod.terminationGracePeriodSeconds ?? 30) * 1000 <= needMs) {
      problems.push(`${name}: terminationGracePeriodSeconds must exceed preStop + drain (${needMs} ms)`);
    }
    if (!(pod.topologySpreadConstraints ?? []).some((t) => t.topologyKey === "kubernetes.io/hostname")) {
      problems.push(`${name}: no spread across nodes`);
    }
    if (!named("PodDisruptionBudget").some((p) => selects(p.spec.selector, labels))) {
      problems.push(`${name}: no PodDisruptionBudget`);
    }
    if (!named("Service").some((s) => Object.entries(s.spec.selector ?? {}).every(([k, v]) => labels[k] === v))) {
      problems.push(`${name}: no Service`);
    }
    if (!named("ServiceAccount").some((s) => s.metadata.name === pod.serviceAccountName)) {
      problems.push(`${name}: ServiceAccount ${pod.serviceAccountName} missing`);
    }
    const app = labels["app.kubernetes.io/name"];
    if (!policies.some((p) => p.spec.podSelector?.matchLabels?.["app.kubernetes.io/name"] === app &&
                              (p.spec.policyTypes ?? []).includes("Ingress"))) {
      problems.push(`${name}: no NetworkPolicy names who may call it`);
    }
  }
  return problems;
}
