"""Checks the coordinator-and-workers recipes of deploy/ against the binaries.

Called by deploy_workers_test.sh with the --help text of gradstream-server and
gradstream-worker (so a renamed or removed flag fails here) and the worker
binary (the environment variables it reads are strings in it):
  - every YAML file under deploy/ parses;
  - deploy/docker-compose.workers.yml: the server gets server flags, the worker
    service runs gradstream-worker from the server's image with worker flags,
    joins the gradstream service on the port the server listens on, fits its
    threads in its cpus, has no healthcheck and time to checkpoint;
  - deploy/k8s/workers: a Component whose resources exist and are listed
    (commented out) in ../kustomization.yaml; its patch adds server flags to
    the server Deployment; the worker Deployment runs gradstream-worker with
    worker flags against the Service's gRPC port, has no ports and no replica
    count, requests = limits with its CPUs matching its threads, a grace period
    for the SIGTERM checkpoint, pod labels the server's Service does not
    select, and environment variables the worker reads;
  - the HorizontalPodAutoscaler scales that Deployment on the external metric
    the prometheus-adapter rule serves, within the server's --max-remote-jobs;
  - the tls component's worker patch targets the worker Deployment, and the
    base with the workers, tls and auth components applied (the JSON patches
    by a small RFC 6902 applier, as kustomize would) gives the server
    --coordinator and the workers a CA file from the Secret they mount.
Prints "ok: ..." per check; the first failure prints "FAIL: ..." and exits 1.
The adapter rule's query is evaluated on a live server by the shell script.

usage: deploy_workers_manifests.py SOURCE_DIR SERVER_HELP WORKER_HELP WORKER_BIN
"""

import pathlib
import re
import sys

import yaml

# A checkpoint of a large model on a busy node: the least stop grace we accept.
MIN_GRACE_SECONDS = 30
FLAG = re.compile(r"--[a-z][a-z-]+")


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def ok(message):
    print(f"ok: {message}")


def load(path):
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        fail(f"{path}: not YAML: {error}")


def flags_in(words):
    return sorted({m.group(0) for w in words for m in [FLAG.match(str(w))] if m})


def check_flags(flags, help_text, binary, where):
    if not flags:
        fail(f"{where}: no {binary} flags found")
    for flag in flags:
        if not re.search(re.escape(flag) + r"([ =,]|$)", help_text, re.M):
            fail(f"{where}: {flag} is not a {binary} flag")


def flag_value(args, flag, where):
    """The value of FLAG in an argument list, as `--flag value` or `--flag=value`."""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return str(args[i + 1])
        if str(arg).startswith(flag + "="):
            return str(arg)[len(flag) + 1:]
    fail(f"{where}: no {flag}")


def seconds(duration, where):
    match = re.fullmatch(r"(\d+)s", str(duration))
    if not match:
        fail(f"{where}: stop_grace_period {duration!r} is not in seconds")
    return int(match.group(1))


def check_compose(deploy, server_help, worker_help, server_port):
    base = load(deploy / "docker-compose.yml")["services"]
    workers_file = deploy / "docker-compose.workers.yml"
    overlay = load(workers_file)["services"]
    server = overlay.get("gradstream") or fail(f"{workers_file}: no gradstream service")
    check_flags(flags_in(server.get("command", [])), server_help, "gradstream-server",
                f"{workers_file} gradstream")
    if "--coordinator" not in server["command"]:
        fail(f"{workers_file}: the server has no --coordinator")
    worker = overlay.get("worker") or fail(f"{workers_file}: no worker service")
    if worker.get("image") != base["gradstream"]["image"]:
        fail(f"{workers_file}: worker image {worker.get('image')} is not the server's "
             f"{base['gradstream']['image']}")
    if worker.get("entrypoint") != ["gradstream-worker"]:
        fail(f"{workers_file}: worker entrypoint {worker.get('entrypoint')} is not gradstream-worker")
    args = [str(a) for a in worker.get("command", [])]
    check_flags(flags_in(args), worker_help, "gradstream-worker", f"{workers_file} worker")
    where = f"{workers_file} worker"
    coordinator = flag_value(args, "--coordinator", where)
    if coordinator != f"gradstream:{server_port}":
        fail(f"{where}: --coordinator {coordinator}, not the gradstream service at port {server_port}")
    threads = int(flag_value(args, "--threads-per-job", where)) * int(flag_value(args, "--max-jobs", where))
    if float(worker.get("cpus", 0)) != threads:
        fail(f"{where}: cpus {worker.get('cpus')} but {threads} threads of jobs")
    replicas = worker.get("deploy", {}).get("replicas", 1)
    if replicas < 2:
        fail(f"{where}: {replicas} replica(s), not two workers")
    if worker.get("healthcheck", {}).get("disable") is not True:
        fail(f"{where}: the image's server HEALTHCHECK is not disabled")
    if seconds(worker.get("stop_grace_period", "10s"), where) < MIN_GRACE_SECONDS:
        fail(f"{where}: stop_grace_period under {MIN_GRACE_SECONDS}s leaves no time to checkpoint")
    ok(f"compose: coordinator {server['command']}, {replicas} workers {' '.join(args)} on {worker['cpus']} cpus")


def kustomize_patch_args(patch):
    return [op["value"] for op in patch if op.get("path", "").endswith("/args/-")]


def check_worker_deployment(path, service, server_help, worker_help, worker_binary):
    deployment = load(path)
    where = str(path)
    spec = deployment["spec"]
    if "replicas" in spec:
        fail(f"{where}: spec.replicas set: kubectl apply would reset the autoscaler's count")
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    if spec["selector"]["matchLabels"].items() - labels.items():
        fail(f"{where}: the selector does not match the pod labels")
    selector = service["spec"]["selector"]
    if selector.items() <= labels.items():
        fail(f"{where}: the Service {service['metadata']['name']} selects worker pods ({selector})")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < MIN_GRACE_SECONDS:
        fail(f"{where}: terminationGracePeriodSeconds {grace} leaves no time to checkpoint")
    (container,) = pod["containers"]
    if container.get("command") != ["gradstream-worker"]:
        fail(f"{where}: command {container.get('command')} is not gradstream-worker")
    if container.get("ports"):
        fail(f"{where}: a worker listens on nothing, yet declares ports")
    args = container["args"]
    check_flags(flags_in(args), worker_help, "gradstream-worker", where)
    grpc = next(p for p in service["spec"]["ports"] if p["name"] == "grpc")
    coordinator = flag_value(args, "--coordinator", where)
    if coordinator != f"{service['metadata']['name']}:{grpc['port']}":
        fail(f"{where}: --coordinator {coordinator} is not the Service "
             f"{service['metadata']['name']}:{grpc['port']}")
    resources = container["resources"]
    if resources["requests"] != resources["limits"]:
        fail(f"{where}: requests {resources['requests']} != limits {resources['limits']}")
    threads = int(flag_value(args, "--threads-per-job", where)) * int(flag_value(args, "--max-jobs", where))
    if int(resources["limits"]["cpu"]) != threads:
        fail(f"{where}: {resources['limits']['cpu']} CPUs but {threads} threads of jobs")
    binary = pathlib.Path(worker_binary).read_bytes()
    env = [e["name"] for e in container.get("env", [])]
    for name in env:
        if name.encode() not in binary:
            fail(f"{where}: gradstream-worker does not read ${name}")
    token = next((e for e in container.get("env", []) if e["name"] == "GRADSTREAM_TOKEN"), None)
    if token is None or not token["valueFrom"]["secretKeyRef"].get("optional"):
        fail(f"{where}: no optional Secret for GRADSTREAM_TOKEN (auth is opt-in)")
    ok(f"worker Deployment: {' '.join(args)}, {resources['limits']}, grace {grace}s, env {' '.join(env)}")
    return deployment["metadata"]["name"], int(flag_value(args, "--max-jobs", where))


def check_autoscaler(path, adapter_path, deployment_name, max_jobs, server_help):
    hpa = load(path)
    where = str(path)
    if hpa["apiVersion"] != "autoscaling/v2" or hpa["kind"] != "HorizontalPodAutoscaler":
        fail(f"{where}: {hpa['apiVersion']} {hpa['kind']} is not an autoscaling/v2 HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    if (target["kind"], target["name"]) != ("Deployment", deployment_name):
        fail(f"{where}: scales {target['kind']} {target['name']}, not Deployment {deployment_name}")
    (metric,) = hpa["spec"]["metrics"]
    if metric["type"] != "External":
        fail(f"{where}: metric type {metric['type']}, not External")
    name = metric["external"]["metric"]["name"]
    rules = load(adapter_path)["rules"]["external"]
    served = [rule["name"]["as"] for rule in rules]
    if name not in served:
        fail(f"{where}: {name} is none of the adapter's external metrics {served}")
    per_worker = float(metric["external"]["target"]["averageValue"])
    if per_worker != max_jobs:
        fail(f"{where}: averageValue {per_worker} jobs per worker, but workers take --max-jobs={max_jobs}")
    most_remote = re.search(r"--max-remote-jobs\D+(\d+)", server_help)
    if not most_remote:
        fail("gradstream-server --help shows no --max-remote-jobs default")
    if not 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] * max_jobs <= int(most_remote.group(1)):
        fail(f"{where}: replicas {hpa['spec']['minReplicas']}..{hpa['spec']['maxReplicas']} "
             f"outside 1..--max-remote-jobs {most_remote.group(1)}")
    ok(f"HPA: Deployment {deployment_name} on External {name} (adapter rule), "
       f"{hpa['spec']['minReplicas']}..{hpa['spec']['maxReplicas']} workers")


def check_kubernetes(deploy, server_help, worker_help, worker_binary):
    k8s = deploy / "k8s"
    component_dir = k8s / "workers"
    component = load(component_dir / "kustomization.yaml")
    if component["kind"] != "Component":
        fail(f"{component_dir}/kustomization.yaml is a {component['kind']}, not a Component")
    for resource in component["resources"] + [p["path"] for p in component["patches"]]:
        if not (component_dir / resource).is_file():
            fail(f"{component_dir}: {resource} missing")
    base = (k8s / "kustomization.yaml").read_text()
    if not re.search(r"^#\s+- workers$", base, re.M):
        fail("deploy/k8s/kustomization.yaml does not name the workers component")
    server_names = {load(k8s / r)["metadata"]["name"] for r in load(k8s / "kustomization.yaml")["resources"]}
    for patch in component["patches"]:
        if patch["target"]["name"] not in server_names:
            fail(f"{component_dir}: patch target {patch['target']['name']} is not in deploy/k8s")
        args = kustomize_patch_args(load(component_dir / patch["path"]))
        check_flags(flags_in(args), server_help, "gradstream-server", patch["path"])
    ok(f"workers component: {', '.join(component['resources'])}; the server gets --coordinator")

    service = load(k8s / "service.yaml")
    deployment_name, max_jobs = check_worker_deployment(
        component_dir / "worker-deployment.yaml", service, server_help, worker_help, worker_binary)
    check_autoscaler(component_dir / "worker-hpa.yaml", component_dir / "prometheus-adapter-values.yaml",
                     deployment_name, max_jobs, server_help)

    tls = load(k8s / "tls" / "kustomization.yaml")
    targets = {p["target"]["name"]: p["path"] for p in tls["patches"]}
    if deployment_name not in targets:
        fail(f"deploy/k8s/tls gives the workers no CA (no patch of {deployment_name})")
    env = [op["value"]["name"] for op in load(k8s / "tls" / targets[deployment_name]) if op["path"].endswith("/env/-")]
    binary = pathlib.Path(worker_binary).read_bytes()
    for name in env:
        if name.encode() not in binary:
            fail(f"deploy/k8s/tls/{targets[deployment_name]}: gradstream-worker does not read ${name}")
    ok(f"tls component: workers get {' '.join(env)}")
    check_assembled(k8s, ["workers", "tls", "auth"])


def json_patch(document, operations, where):
    """RFC 6902 add and replace, the operations the components use."""
    for op in operations:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node = document
        for key in parents:
            try:
                node = node[int(key)] if isinstance(node, list) else node[key]
            except (KeyError, IndexError, ValueError):
                fail(f"{where}: {op['path']}: no {key} in the target")
        if op["op"] == "add" and isinstance(node, list):
            node.insert(len(node) if last == "-" else int(last), op["value"])
        elif op["op"] == "add" or (op["op"] == "replace" and last in node):
            node[last] = op["value"]
        else:
            fail(f"{where}: {op['op']} {op['path']}: not applicable to the target")


def check_assembled(k8s, components):
    """The base with COMPONENTS applied in that order, as kustomize does; the
    workers' TLS settings name files the Secret's mount provides."""
    deployments = {}
    for resource in load(k8s / "kustomization.yaml")["resources"]:
        document = load(k8s / resource)
        if document["kind"] == "Deployment":
            deployments[document["metadata"]["name"]] = document
    for name in components:
        component = load(k8s / name / "kustomization.yaml")
        for resource in component.get("resources", []):
            document = load(k8s / name / resource)
            if document["kind"] == "Deployment":
                deployments[document["metadata"]["name"]] = document
        for patch in component["patches"]:
            target = deployments.get(patch["target"]["name"])
            if target is not None:  # kustomize skips a patch whose target is absent
                json_patch(target, load(k8s / name / patch["path"]), f"{name}/{patch['path']}")
    server = deployments["gradstream"]["spec"]["template"]["spec"]["containers"][0]
    if "--coordinator" not in server["args"]:
        fail(f"assembled {components}: the server has no --coordinator")
    pod = deployments["gradstream-worker"]["spec"]["template"]["spec"]
    (worker,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in worker.get("env", [])}
    mounts = {m["name"]: m["mountPath"] for m in worker.get("volumeMounts", [])}
    secrets = {v["name"]: v["secret"] for v in pod.get("volumes", []) if "secret" in v}
    ca = env.get("GRADSTREAM_TLS_CA") or fail(f"assembled {components}: workers have no GRADSTREAM_TLS_CA")
    for volume, mount in mounts.items():
        secret = secrets.get(volume)
        if secret and ca.startswith(mount + "/"):
            files = [item["path"] for item in secret.get("items", [])] or ["ca.crt"]
            if ca[len(mount) + 1:] not in files:
                fail(f"assembled {components}: {ca} is not among {files} of Secret {secret['secretName']}")
            ok(f"assembled {' + '.join(components)}: the server has --coordinator among "
               f"{len(server['args'])} args; workers read {ca} from Secret {secret['secretName']}")
            return
    fail(f"assembled {components}: no Secret is mounted where {ca} is")


def main():
    if len(sys.argv) != 5:
        fail(f"usage: {sys.argv[0]} SOURCE_DIR SERVER_HELP WORKER_HELP WORKER_BIN")
    source = pathlib.Path(sys.argv[1])
    server_help = pathlib.Path(sys.argv[2]).read_text()
    worker_help = pathlib.Path(sys.argv[3]).read_text()
    deploy = source / "deploy"
    files = sorted(p for ext in ("*.yml", "*.yaml") for p in deploy.rglob(ext))
    for path in files:
        load(path)
    ok(f"{len(files)} YAML files under deploy/ parse")
    entrypoint = (source / "Dockerfile").read_text().split("ENTRYPOINT", 1)[1]
    server_port = re.search(r"--listen\", \"[0-9.]+:(\d+)", entrypoint) or fail("Dockerfile ENTRYPOINT has no --listen")
    check_compose(deploy, server_help, worker_help, server_port.group(1))
    check_kubernetes(deploy, server_help, worker_help, sys.argv[4])


if __name__ == "__main__":
    main()
