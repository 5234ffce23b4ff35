// Real chart sources for tests: an OCI registry (the CNCF distribution `registry`, built from its pinned Go
// module by testenv/build) and an HTTPS Helm chart repository (Debian's nginx serving the output of
// `helm package` + `helm repo index`), both on 127.0.0.1 at free ports, both with basic auth from one
// htpasswd file (bcrypt) and TLS from a testenv CA. Charts are published the way a user publishes them:
// `helm push` to the registry, `helm package` + `helm repo index` for the repository.
import { execFile, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestenvError } from './errors.js';
import { binDir, testenvDir } from './paths.js';
import { createPki } from './pki.js';
import { freePort } from './ports.js';
import { isAlive, startDetached, stopGroup, type Started } from './process.js';

const run = promisify(execFile);

export interface ChartServers {
  /** The CA that signed both servers' certificates (PEM file). */
  readonly caFile: string;
  readonly username: string;
  readonly password: string;
  /** `oci://127.0.0.1:PORT/charts`: push a chart and it is `<this>/<chart name>`. */
  readonly ociBase: string;
  /** The registry's host:port, what `helm registry login` takes. */
  readonly registryHost: string;
  /** `https://127.0.0.1:PORT/charts`, the repository URL a profile's `repo:` names. */
  readonly repoUrl: string;
  /** Publishes a chart folder to both: `helm push` to the registry, and into the repository's index. */
  publish(chartDir: string): Promise<void>;
  /** Stops both servers (what a source outage looks like). */
  stop(): Promise<void>;
  /** Stops both and removes their folder. */
  close(): Promise<void>;
}

export interface ChartServersOptions {
  readonly username?: string;
  readonly password?: string;
}

/** Starts the registry and the repository; the Debian packages are installed first when missing. */
export async function startChartServers(options: ChartServersOptions = {}): Promise<ChartServers> {
  const username = options.username ?? 'charts';
  const password = options.password ?? `pw-${process.pid}-${Date.now()}`;
  execFileSync(join(testenvDir, '..', 'scripts', 'ensure-apt'), ['nginx', 'apache2-utils'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const bin = binDir({ build: true });
  const helm = join(bin, 'helm');
  const dir = await mkdtemp(join(tmpdir(), 'strata-chart-servers-'));
  const started: Started[] = [];
  try {
    await mkdir(join(dir, 'pki'));
    const pki = await createPki(join(dir, 'pki'));
    const htpasswd = join(dir, 'htpasswd');
    await run('htpasswd', ['-B', '-b', '-c', htpasswd, username, password]).catch((cause: unknown) => {
      throw new TestenvError('htpasswd', 'could not write the htpasswd file', {
        cause,
        hint: 'apt-get install apache2-utils',
      });
    });

    const registryPort = await freePort();
    const registryConfig = join(dir, 'registry.yml');
    await mkdir(join(dir, 'registry-data'));
    await writeFile(
      registryConfig,
      [
        'version: 0.1',
        'log: { level: warn }',
        `storage: { filesystem: { rootdirectory: ${join(dir, 'registry-data')} } }`,
        'http:',
        `  addr: 127.0.0.1:${registryPort}`,
        `  secret: testenv-${password}`,
        `  tls: { certificate: ${pki.serverCert}, key: ${pki.serverKey} }`,
        `auth: { htpasswd: { realm: strata-testenv, path: ${htpasswd} } }`,
        '',
      ].join('\n'),
    );
    started.push(
      startDetached('registry', join(bin, 'registry'), ['serve', registryConfig], join(dir, 'registry.log')),
    );

    const repoPort = await freePort();
    const www = join(dir, 'www');
    await mkdir(www);
    await mkdir(join(dir, 'nginx-temp'));
    const nginxConfig = join(dir, 'nginx.conf');
    await writeFile(nginxConfig, nginxConf({ dir, port: repoPort, www, htpasswd, pki }));
    started.push(
      startDetached(
        'nginx',
        '/usr/sbin/nginx',
        ['-p', dir, '-c', nginxConfig, '-e', join(dir, 'nginx-error.log')],
        join(dir, 'nginx.log'),
      ),
    );
    await Promise.all([
      listening(registryPort, started[0], join(dir, 'registry.log')),
      listening(repoPort, started[1], join(dir, 'nginx-error.log')),
    ]);

    const registryHost = `127.0.0.1:${registryPort}`;
    const registryConfigJson = join(dir, 'helm-registry.json');
    const helmEnv = {
      ...process.env,
      HELM_CONFIG_HOME: join(dir, 'helm'),
      HELM_CACHE_HOME: join(dir, 'helm'),
    };
    await helmRun(
      helm,
      [
        'registry',
        'login',
        registryHost,
        `--username=${username}`,
        '--password-stdin',
        `--ca-file=${pki.caCert}`,
        `--registry-config=${registryConfigJson}`,
      ],
      { env: helmEnv, stdin: password },
    );

    let stopped = false;
    const stop = async () => {
      stopped = true;
      await Promise.all(started.map((s) => stopGroup(s.pid, { graceMs: 2000 })));
    };
    return {
      caFile: pki.caCert,
      username,
      password,
      ociBase: `oci://${registryHost}/charts`,
      registryHost,
      repoUrl: `https://127.0.0.1:${repoPort}/charts`,
      async publish(chartDir) {
        if (stopped) throw new TestenvError('chart servers', 'stopped: nothing can be published');
        const staging = await mkdtemp(join(dir, 'package-'));
        try {
          // A copy, so helm package writes nothing into the caller's folder.
          await cp(chartDir, join(staging, 'chart'), { recursive: true });
          const packaged = await helmRun(
            helm,
            ['package', join(staging, 'chart'), `--destination=${staging}`],
            {
              env: helmEnv,
            },
          );
          const archive = /saved it to: (.+\.tgz)/.exec(packaged)?.[1]?.trim();
          if (archive === undefined) throw new TestenvError('helm package', `no archive in: ${packaged}`);
          await helmRun(
            helm,
            [
              'push',
              archive,
              `oci://${registryHost}/charts`,
              `--ca-file=${pki.caCert}`,
              `--registry-config=${registryConfigJson}`,
            ],
            { env: helmEnv },
          );
          await cp(archive, join(www, archive.slice(staging.length + 1)));
          const index = join(www, 'index.yaml');
          const merge = await readFile(index).then(
            () => [`--merge=${index}`],
            () => [],
          );
          await helmRun(helm, ['repo', 'index', www, ...merge], { env: helmEnv });
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
      },
      stop,
      async close() {
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => stopGroup(s.pid, { graceMs: 0 })));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function nginxConf(o: {
  dir: string;
  port: number;
  www: string;
  htpasswd: string;
  pki: { serverCert: string; serverKey: string };
}): string {
  const temp = join(o.dir, 'nginx-temp');
  return `# The test chart repository: TLS, basic auth, static files (index.yaml and chart archives).
daemon off;
master_process off;
pid ${join(o.dir, 'nginx.pid')};
error_log ${join(o.dir, 'nginx-error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  types { application/x-yaml yaml; application/gzip tgz; }
  server {
    listen 127.0.0.1:${o.port} ssl;
    ssl_certificate ${o.pki.serverCert};
    ssl_certificate_key ${o.pki.serverKey};
    location /charts/ {
      alias ${o.www}/;
      auth_basic "strata-testenv";
      auth_basic_user_file ${o.htpasswd};
    }
  }
}
`;
}

/** Resolves once something accepts connections on 127.0.0.1:port; fails when the process exits first. */
async function listening(port: number, process_: Started | undefined, log: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (open) return;
    const alive = process_ !== undefined && isAlive(process_.pid);
    if (!alive || Date.now() > deadline) {
      const tail = await readFile(log, 'utf8').then(
        (t) => t.split('\n').slice(-15).join('\n'),
        () => '',
      );
      throw new TestenvError(
        process_?.component ?? 'server',
        `${alive ? 'not listening on' : 'exited before listening on'} port ${port}:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function helmRun(
  helm: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdin?: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(helm, args, { env: options.env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error)
        reject(new TestenvError(`helm ${args[0] ?? ''}`, stderr.trim() || error.message, { cause: error }));
      else resolve(`${stdout}${stderr}`);
    });
    child.stdin?.end(options.stdin ?? '');
  });
}
