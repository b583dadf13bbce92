// Tests for the JSON Schemas in schemas/ and the code generated from them.
// run: node --import tsx --test test/unit/schemas.test.ts

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import validateConfig from "../../schemas/generated/validate-config.js";
import validateState from "../../schemas/generated/validate-state.js";
import validateHostFacts from "../../schemas/generated/validate-hostfacts.js";
import validatePlan from "../../schemas/generated/validate-plan.js";
import type { Config } from "../../schemas/generated/config.js";
import type { State } from "../../schemas/generated/state.js";
import type { HostFacts } from "../../schemas/generated/hostfacts.js";
import type { Action, Plan } from "../../schemas/generated/plan.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** What `runc spec` (runc 1.1.x, spec 1.0.2-dev) writes, verbatim. */
const RUNC_SPEC: Config = {
  ociVersion: "1.0.2-dev",
  process: {
    terminal: true,
    user: { uid: 0, gid: 0 },
    args: ["sh"],
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    cwd: "/",
    capabilities: {
      bounding: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      effective: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      permitted: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      ambient: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    },
    rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: "rootfs", readonly: true },
  hostname: "runc",
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
  ],
  linux: {
    resources: { devices: [{ allow: false, access: "rwm" }] },
    namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
    maskedPaths: [
      "/proc/acpi",
      "/proc/asound",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/sys/firmware",
      "/proc/scsi",
    ],
    readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
  },
};

/** A config using most of the 1.1-1.3 additions, with values at the edges of their ranges. */
const RICH_CONFIG: Config = {
  ociVersion: "1.3.0",
  root: { path: "/var/lib/c1/rootfs" },
  mounts: [
    {
      destination: "/data",
      source: "/srv/data",
      type: "bind",
      options: ["rbind", "ro"],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    },
  ],
  process: {
    consoleSize: { height: 24, width: 80 },
    user: { uid: 1000, gid: 1000, umask: 0o22, additionalGids: [5, 10] },
    args: ["/bin/app", "--flag"],
    cwd: "/srv",
    rlimits: [{ type: "RLIMIT_CORE", soft: 18446744073709551615, hard: 18446744073709551615 }],
    oomScoreAdj: -1000,
    ioPriority: { class: "IOPRIO_CLASS_BE", priority: 7 },
    scheduler: { policy: "SCHED_DEADLINE", runtime: 1000000, deadline: 2000000, period: 3000000, flags: ["SCHED_FLAG_RESET_ON_FORK"] },
    execCPUAffinity: { initial: "0", final: "1-3,7" },
  },
  domainname: "example.org",
  hooks: {
    createRuntime: [{ path: "/usr/bin/hook", args: ["hook", "create"], env: ["A=1"], timeout: 5 }],
    poststop: [{ path: "/usr/bin/cleanup" }],
  },
  annotations: { "org.example.key": "value" },
  linux: {
    namespaces: [{ type: "user" }, { type: "cgroup" }, { type: "time" }, { type: "network", path: "/var/run/netns/n1" }],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    timeOffsets: { monotonic: { secs: -86400, nanosecs: 0 }, boottime: { secs: 1, nanosecs: 999999999 } },
    devices: [
      { type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
      { type: "p", path: "/dev/myfifo" },
    ],
    cgroupsPath: "/planc/c1",
    resources: {
      devices: [
        { allow: false, access: "rwm" },
        { allow: true, type: "c", major: 10, minor: 229, access: "rw" },
      ],
      memory: { limit: 536870912, reservation: -1, swap: -1, swappiness: 0, disableOOMKiller: false, checkBeforeUpdate: true },
      cpu: { shares: 1024, quota: -1, burst: 0, period: 100000, cpus: "0-3", mems: "0", idle: 1 },
      pids: { limit: -1 },
      blockIO: {
        weight: 500,
        weightDevice: [{ major: 8, minor: 0, weight: 300 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      },
      hugepageLimits: [{ pageSize: "2MB", limit: 209715200 }],
      network: { classID: 1048577, priorities: [{ name: "eth0", priority: 500 }] },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
      unified: { "memory.high": "max" },
    },
    intelRdt: { closID: "guaranteed", schemata: ["L3:0=7f0", "MB:0=20"], enableMonitoring: true },
    personality: { domain: "LINUX32" },
    rootfsPropagation: "rslave",
    seccomp: {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 1,
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
      flags: ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      syscalls: [
        { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
        {
          names: ["personality"],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: 0, value: 4294967295, op: "SCMP_CMP_EQ" }],
        },
        { names: ["clone"], action: "SCMP_ACT_ERRNO", errnoRet: 38, args: [{ index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }] },
      ],
    },
    sysctl: { "net.ipv4.ip_forward": "1" },
    maskedPaths: ["/proc/kcore"],
    readonlyPaths: ["/proc/sys"],
    mountLabel: "system_u:object_r:container_file_t:s0",
    memoryPolicy: { mode: "MPOL_INTERLEAVE", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES"] },
    netDevices: { eth1: { name: "net0" } },
  },
};

const clone = <T>(v: T): T => structuredClone(v);

type Err = { instancePath: string; keyword: string; message?: string };
/** The validator's errors as "instancePath keyword" strings, for readable assertion failures. */
function errorsOf(validate: { (d: unknown): boolean; errors?: Err[] | null }, data: unknown): string[] {
  const ok = validate(data);
  const errs = validate.errors ?? [];
  assert.equal(ok, errs.length === 0, "validate()'s result and .errors disagree");
  return errs.map((e) => `${e.instancePath} ${e.keyword}`);
}

describe("config.schema.json", () => {
  it("accepts the config `runc spec` writes", () => {
    assert.deepEqual(errorsOf(validateConfig, RUNC_SPEC), []);
  });

  it("accepts a config using the 1.1-1.3 fields", () => {
    assert.deepEqual(errorsOf(validateConfig, RICH_CONFIG), []);
  });

  it("accepts a minimal config (only ociVersion is required)", () => {
    assert.deepEqual(errorsOf(validateConfig, { ociVersion: "1.0.0" }), []);
  });

  it("accepts ociVersion 1.0.0 through 1.3.x, with pre-release suffixes", () => {
    for (const v of ["1.0.0", "1.0.2-dev", "1.1.0", "1.2.1-rc.1", "1.3.0", "1.3.12"]) {
      assert.deepEqual(errorsOf(validateConfig, { ...clone(RUNC_SPEC), ociVersion: v }), [], v);
    }
  });

  it("rejects ociVersion outside 1.0-1.3", () => {
    for (const v of ["0.9.0", "1.4.0", "2.0.0", "1.0", "v1.0.0", "1.0.0 "]) {
      assert.deepEqual(errorsOf(validateConfig, { ...clone(RUNC_SPEC), ociVersion: v }), ["/ociVersion pattern"], v);
    }
    assert.deepEqual(errorsOf(validateConfig, { root: { path: "rootfs" } }), [" required"]);
  });

  it("reports process.args that is not an array at /process/args", () => {
    const cfg = clone(RUNC_SPEC) as Record<string, any>;
    cfg.process.args = "sh";
    assert.equal(validateConfig(cfg), false);
    assert.deepEqual(
      validateConfig.errors?.map((e) => ({ instancePath: e.instancePath, message: e.message })),
      [{ instancePath: "/process/args", message: "must be array" }],
    );
  });

  it("reports every mistake at once (allErrors)", () => {
    const cfg = clone(RUNC_SPEC) as Record<string, any>;
    cfg.ociVersion = "2.0.0";
    cfg.process.args = "sh";
    cfg.process.rlimits[0].type = "RLIMIT_NOPE";
    cfg.process.capabilities.bounding.push("NET_ADMIN");
    cfg.mounts[0].options = "ro";
    cfg.linux.resources.devices[0].allow = "no";
    cfg.linux.maskedPaths.push("proc/kcore");
    assert.deepEqual(errorsOf(validateConfig, cfg).sort(), [
      "/linux/maskedPaths/10 pattern",
      "/linux/resources/devices/0/allow type",
      "/mounts/0/options type",
      "/ociVersion pattern",
      "/process/args type",
      "/process/capabilities/bounding/3 pattern",
      "/process/rlimits/0/type enum",
    ]);
  });

  it("rejects an unknown namespace type", () => {
    const cfg = clone(RUNC_SPEC);
    cfg.linux!.namespaces!.push({ type: "net" as any });
    assert.deepEqual(errorsOf(validateConfig, cfg), ["/linux/namespaces/5/type enum"]);
    for (const type of ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"] as const) {
      assert.deepEqual(errorsOf(validateConfig, { ociVersion: "1.2.0", linux: { namespaces: [{ type }] } }), [], type);
    }
  });

  it("types integer fields: no strings, no fractions, no negative unsigned values", () => {
    const cases: [string, (c: any) => void][] = [
      ["/process/rlimits/0/soft type", (c) => (c.process.rlimits[0].soft = "1024")],
      ["/process/rlimits/0/hard type", (c) => (c.process.rlimits[0].hard = 1.5)],
      ["/process/user/uid minimum", (c) => (c.process.user.uid = -1)],
      ["/linux/resources/memory/limit minimum", (c) => (c.linux.resources.memory = { limit: -2 })],
      ["/linux/resources/cpu/shares minimum", (c) => (c.linux.resources.cpu = { shares: -1 })],
      ["/linux/resources/pids/limit type", (c) => (c.linux.resources.pids = { limit: "max" })],
      ["/linux/resources/hugepageLimits/0/limit type", (c) => (c.linux.resources.hugepageLimits = [{ pageSize: "2MB", limit: "1G" }])],
      ["/linux/uidMappings/0/size maximum", (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 4294967296 }])],
    ];
    for (const [expected, mutate] of cases) {
      const cfg = clone(RUNC_SPEC);
      mutate(cfg);
      assert.deepEqual(errorsOf(validateConfig, cfg), [expected]);
    }
  });

  it("enforces the seccomp enums", () => {
    const cfg = clone(RUNC_SPEC) as Record<string, any>;
    cfg.linux.seccomp = {
      defaultAction: "SCMP_ACT_DENY",
      architectures: ["SCMP_ARCH_X86_64", "x86_64"],
      flags: ["SECCOMP_FILTER_FLAG_TSYNC", "TSYNC"],
      syscalls: [
        { names: [], action: "SCMP_ACT_ALLOW" },
        { names: ["kill"], action: "SCMP_ACT_ALLOW", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQUAL" }] },
      ],
    };
    assert.deepEqual(errorsOf(validateConfig, cfg).sort(), [
      "/linux/seccomp/architectures/1 enum",
      "/linux/seccomp/defaultAction enum",
      "/linux/seccomp/flags/1 enum",
      "/linux/seccomp/syscalls/0/names minItems",
      "/linux/seccomp/syscalls/1/args/0/index maximum",
      "/linux/seccomp/syscalls/1/args/0/op enum",
    ]);
  });

  it("requires the fields the spec requires", () => {
    const cfg = clone(RUNC_SPEC) as Record<string, any>;
    delete cfg.process.cwd;
    delete cfg.process.user.gid;
    delete cfg.root.path;
    delete cfg.mounts[0].destination;
    cfg.hooks = { poststart: [{ args: ["x"] }] };
    cfg.linux.devices = [{ type: "c", path: "/dev/x" }];
    const errs = errorsOf(validateConfig, cfg);
    for (const e of ["/process required", "/process/user required", "/root required", "/mounts/0 required", "/hooks/poststart/0 required"]) {
      assert.ok(errs.includes(e), `expected ${e} in ${JSON.stringify(errs)}`);
    }
    // devices of type c/b/u need major and minor; a FIFO (p) does not
    assert.deepEqual(
      validateConfig.errors?.filter((e) => e.instancePath === "/linux/devices/0" && e.keyword === "required").map((e) => e.params.missingProperty),
      ["major", "minor"],
    );
  });

  it("leaves windows/solaris/vm/zos sections to the planner, and does not demand POSIX user ids for Windows", () => {
    const win = { ociVersion: "1.1.0", process: { cwd: "C:\\", user: { username: "ContainerUser" } }, windows: { layerFolders: [] } };
    assert.deepEqual(errorsOf(validateConfig, win), []);
    assert.deepEqual(errorsOf(validateConfig, { ociVersion: "1.0.0", solaris: { anet: [] }, vm: { kernel: { path: "/k" } }, zos: {} }), []);
    const { windows: _, ...posix } = win;
    assert.deepEqual(errorsOf(validateConfig, posix), ["/process/user required", "/process/user required", " if"]);
  });

  it("keeps objects open for extensions", () => {
    const cfg = clone(RUNC_SPEC) as Record<string, any>;
    cfg["org.example.extension"] = { any: "thing" };
    cfg.linux.futureField = 1;
    assert.deepEqual(errorsOf(validateConfig, cfg), []);
  });
});

describe("state.schema.json", () => {
  const STATE: State = {
    ociVersion: "1.2.0",
    id: "c1",
    status: "running",
    pid: 4422,
    bundle: "/containers/redis",
    annotations: { myKey: "myValue" },
    rootfs: "/containers/redis/rootfs",
    created: "2024-05-01T12:34:56.123456789Z",
    owner: "",
  };

  it("accepts a valid state", () => {
    assert.deepEqual(errorsOf(validateState, STATE), []);
    assert.deepEqual(errorsOf(validateState, { ociVersion: "1.0.2", id: "c2", status: "stopped", bundle: "/b" }), []);
  });

  it("rejects a bad status, a relative bundle and a malformed created time", () => {
    assert.deepEqual(errorsOf(validateState, { ...STATE, status: "exited", bundle: "b", created: "yesterday" }).sort(), [
      "/bundle pattern",
      "/created pattern",
      "/status enum",
    ]);
  });

  it("requires pid when created or running", () => {
    const { pid: _, ...noPid } = STATE;
    assert.deepEqual(errorsOf(validateState, noPid), [" required", " if"]);
    assert.deepEqual(errorsOf(validateState, { ...noPid, status: "created" }), [" required", " if"]);
    assert.deepEqual(errorsOf(validateState, { ...noPid, status: "stopped" }), []);
  });
});

describe("hostfacts.schema.json", () => {
  const FACTS: HostFacts = {
    containerId: "c1",
    bundle: "/srv/bundle",
    stateDir: "/run/planc/c1",
    cgroup: { version: 2, root: "/sys/fs/cgroup" },
    rootless: false,
  };

  it("accepts cgroup v2 facts, and v1 facts with their controllers", () => {
    assert.deepEqual(errorsOf(validateHostFacts, FACTS), []);
    const v1: HostFacts = {
      ...FACTS,
      noPivot: true,
      systemdCgroup: false,
      cgroup: {
        version: 1,
        root: "/sys/fs/cgroup",
        v1Controllers: [
          { name: "memory", mountpoint: "/sys/fs/cgroup/memory" },
          { name: "cpu,cpuacct", mountpoint: "/sys/fs/cgroup/cpu,cpuacct" },
          { name: "name=systemd", mountpoint: "/sys/fs/cgroup/systemd" },
        ],
      },
    };
    assert.deepEqual(errorsOf(validateHostFacts, v1), []);
  });

  it("requires v1Controllers with cgroup v1, and rejects unknown fields and versions", () => {
    assert.deepEqual(errorsOf(validateHostFacts, { ...FACTS, cgroup: { version: 1, root: "/sys/fs/cgroup" } }), [
      "/cgroup required",
      "/cgroup if",
    ]);
    assert.deepEqual(errorsOf(validateHostFacts, { ...FACTS, cgroup: { version: 3, root: "/sys/fs/cgroup" } }), ["/cgroup/version enum"]);
    assert.deepEqual(errorsOf(validateHostFacts, { ...FACTS, rootles: true }), [" additionalProperties"]);
    assert.deepEqual(errorsOf(validateHostFacts, { ...FACTS, bundle: "bundle" }), ["/bundle pattern"]);
    const { rootless: _, ...noRootless } = FACTS;
    assert.deepEqual(errorsOf(validateHostFacts, noRootless), [" required"]);
  });
});

describe("plan.schema.json (generated validator and types)", () => {
  const PLAN: Plan = {
    planVersion: 1,
    kind: "create",
    containerId: "c1",
    ociVersion: "1.2.0",
    bundle: "/b",
    rootfs: "/b/rootfs",
    stateDir: "/run/planc/c1",
    cgroupPaths: ["/sys/fs/cgroup/planc/c1"],
    namespaces: [{ type: "mount" }],
    warnings: [],
    actions: [
      { op: "cgroup.create", stage: "host", why: "runtime:cgroup", path: "/sys/fs/cgroup/planc/c1" },
      { op: "hostname", stage: "init", why: "/hostname", name: "c1" },
      { op: "exec", stage: "init", why: "/process/args", args: ["sh"], env: [] },
    ],
  };

  /** Compile-time check: Action is a union discriminated on `op`. */
  function describeAction(a: Action): string {
    switch (a.op) {
      case "hostname":
        return `hostname ${a.name}`;
      case "exec":
        return `exec ${a.args.join(" ")}`;
      default:
        return a.op;
    }
  }

  it("accepts a plan and rejects an unknown op", () => {
    assert.deepEqual(errorsOf(validatePlan, PLAN), []);
    assert.deepEqual(PLAN.actions.map(describeAction), ["cgroup.create", "hostname c1", "exec sh"]);
    const bad = clone(PLAN) as Record<string, any>;
    bad.actions[1].op = "hostname.set";
    assert.equal(validatePlan(bad), false);
    // The schema keys Action's branches by op (ajv's discriminator): an unknown op is named as such.
    assert.deepEqual(
      validatePlan.errors?.map((e) => [e.instancePath, e.keyword, e.message, (e.params as { tagValue?: unknown }).tagValue]),
      [["/actions/1", "discriminator", 'value of tag "op" must be in oneOf', "hostname.set"]],
    );
    bad.actions[1] = { op: 5 };
    assert.equal(validatePlan(bad), false);
    assert.equal(validatePlan.errors?.[0]?.message, 'tag "op" must be string');
    // A known op is held to its own branch: its fields and no others.
    const extra = clone(PLAN) as Record<string, any>;
    extra.actions[1].mode = 1;
    assert.equal(validatePlan(extra), false);
    assert.ok(validatePlan.errors?.some((e) => e.instancePath === "/actions/1" && e.keyword === "additionalProperties" && e.params.additionalProperty === "mode"));
    delete extra.actions[1].mode;
    delete extra.actions[1].name;
    assert.equal(validatePlan(extra), false);
    assert.ok(validatePlan.errors?.some((e) => e.instancePath === "/actions/1" && e.keyword === "required"));
  });
});

describe("generated files", () => {
  const GEN = join(ROOT, "schemas", "generated");

  it("validators are self-contained ES modules (no require/import: they run in a browser)", () => {
    for (const name of ["config", "state", "hostfacts", "plan"]) {
      const code = readFileSync(join(GEN, `validate-${name}.js`), "utf8");
      assert.match(code, /^\/\/ generated by scripts\/gen-schemas\.mjs — do not edit$/m, name);
      assert.doesNotMatch(code, /\brequire\s*\(/, name);
      assert.doesNotMatch(code, /^\s*import\b/m, name);
      assert.match(code, /^export default validate\d+;$/m, name);
    }
  });

  it("`gen-schemas.mjs --check` passes on the committed files", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "gen-schemas.mjs"), "--check"], { encoding: "utf8" });
    assert.equal(r.status, 0, `--check failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /up to date/);
  });

  it("`gen-schemas.mjs --check` fails when a generated file is out of date", () => {
    // Work on a copy so that the real tree is never touched.
    const tmp = mkdtempSync(join(tmpdir(), "planc-gen-schemas-"));
    try {
      cpSync(join(ROOT, "scripts", "gen-schemas.mjs"), join(tmp, "scripts", "gen-schemas.mjs"));
      cpSync(join(ROOT, "schemas"), join(tmp, "schemas"), { recursive: true });
      symlinkSync(join(ROOT, "node_modules"), join(tmp, "node_modules"), "dir");
      const script = join(tmp, "scripts", "gen-schemas.mjs");
      const check = () => spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
      assert.equal(check().status, 0, "the copy should start out up to date");

      const stateSchema = join(tmp, "schemas", "state.schema.json");
      const schema = JSON.parse(readFileSync(stateSchema, "utf8"));
      schema.properties.id.description = "changed";
      writeFileSync(stateSchema, JSON.stringify(schema, null, 2));
      const r = check();
      assert.equal(r.status, 1);
      assert.match(r.stderr, /out of date: schemas\/generated\/state\.d\.ts/);
      assert.match(r.stderr, /out of date: schemas\/generated\/validate-state\.js/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
