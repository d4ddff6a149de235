/**
 * Builds the client configuration from Scope's `--probe.kubernetes.*` flags: a kubeconfig file
 * (with context / cluster / user selectors), or an explicit server with credentials, or, when
 * neither is given, the in-cluster service account.
 */
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node';

/** Connection flags (`--probe.kubernetes.*`); empty strings are unset. */
export interface KubernetesConnection {
  /** `--probe.kubernetes.server` (alias `--probe.kubernetes.api`). */
  server: string;
  /** `--probe.kubernetes.kubeconfig`. */
  kubeconfig: string;
  certificateAuthority: string;
  clientCertificate: string;
  clientKey: string;
  /** kubeconfig selectors. */
  cluster: string;
  context: string;
  user: string;
  insecureSkipTlsVerify: boolean;
  token: string;
  username: string;
  password: string;
}

/** All-empty connection flags: in-cluster configuration. */
export function defaultConnection(overrides: Partial<KubernetesConnection> = {}): KubernetesConnection {
  return {
    server: '',
    kubeconfig: '',
    certificateAuthority: '',
    clientCertificate: '',
    clientKey: '',
    cluster: '',
    context: '',
    user: '',
    insecureSkipTlsVerify: false,
    token: '',
    username: '',
    password: '',
    ...overrides,
  };
}

function userFromFlags(c: KubernetesConnection, base?: User | null): User {
  return {
    name: base?.name ?? 'openscope',
    ...(base ?? {}),
    ...(c.token ? { token: c.token } : {}),
    ...(c.username ? { username: c.username } : {}),
    ...(c.password ? { password: c.password } : {}),
    ...(c.clientCertificate ? { certFile: c.clientCertificate } : {}),
    ...(c.clientKey ? { keyFile: c.clientKey } : {}),
  };
}

function clusterFromFlags(c: KubernetesConnection, base?: Cluster | null): Cluster {
  return {
    ...(base ?? {}),
    name: base?.name ?? 'openscope',
    server: c.server || base?.server || '',
    skipTLSVerify: c.insecureSkipTlsVerify || (base?.skipTLSVerify ?? false),
    ...(c.certificateAuthority ? { caFile: c.certificateAuthority } : {}),
  };
}

/** The client configuration the flags describe. Throws (a clear message) when it cannot be built. */
export function loadKubeConfig(c: KubernetesConnection): KubeConfig {
  const kc = new KubeConfig();
  if (c.kubeconfig === '' && c.server === '') {
    kc.loadFromCluster();
    const cl = kc.getCurrentCluster();
    if (!cl || !cl.server || cl.server.includes('undefined')) {
      throw new Error('not running in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset); give --probe.kubernetes.kubeconfig or --probe.kubernetes.server');
    }
    return kc;
  }
  if (c.kubeconfig !== '') {
    kc.loadFromFile(c.kubeconfig);
    if (c.context !== '') kc.setCurrentContext(c.context);
    const overridden = c.server || c.cluster || c.user || c.token || c.username || c.certificateAuthority || c.clientCertificate || c.insecureSkipTlsVerify;
    if (!overridden) return kc;
    const baseCluster = c.cluster ? kc.getCluster(c.cluster) : kc.getCurrentCluster();
    const baseUser = c.user ? kc.getUser(c.user) : kc.getCurrentUser();
    const out = new KubeConfig();
    out.loadFromClusterAndUser(clusterFromFlags(c, baseCluster), userFromFlags(c, baseUser));
    return out;
  }
  kc.loadFromClusterAndUser(clusterFromFlags(c), userFromFlags(c));
  return kc;
}
