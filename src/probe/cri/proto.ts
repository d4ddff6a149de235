/**
 * The subset of the Kubernetes CRI API (`runtime.v1`, k8s.io/cri-api `pkg/apis/runtime/v1/api.proto`)
 * this probe speaks, as a protobuf.js JSON descriptor: no `.proto` file to ship beside the compiled
 * code. Field numbers, names and enum values are the upstream ones (protobuf decodes by number, so
 * a wrong one would silently read garbage); fields we never read are left out, which protobuf
 * skips on decode.
 *
 * Read side (the reporter): Version, ListContainers, ListPodSandbox, ContainerStatus,
 * ListContainerStats, and ImageService.ListImages (image names). Write side (only the tests use it, to make real sandboxes and containers in a
 * real containerd): RunPodSandbox, StopPodSandbox, RemovePodSandbox, CreateContainer,
 * StartContainer, StopContainer, RemoveContainer.
 */
import type { fromJSON } from '@grpc/proto-loader';

type INamespace = Parameters<typeof fromJSON>[0];

type Fields = Record<string, { type: string; id: number; rule?: 'repeated'; keyType?: string }>;

const str = (id: number): { type: string; id: number } => ({ type: 'string', id });
const map = (id: number): { type: string; id: number; keyType: string } => ({ keyType: 'string', type: 'string', id });
const msg = (fields: Fields): { fields: Fields } => ({ fields });
const rpc = (name: string): { requestType: string; responseType: string; comment: string } => ({ requestType: `${name}Request`, responseType: `${name}Response`, comment: '' });

/** The `runtime.v1` package. */
export const CRI_V1: INamespace = {
  nested: {
    runtime: {
      nested: {
        v1: {
          nested: {
            RuntimeService: {
              methods: {
                Version: rpc('Version'),
                RunPodSandbox: rpc('RunPodSandbox'),
                StopPodSandbox: rpc('StopPodSandbox'),
                RemovePodSandbox: rpc('RemovePodSandbox'),
                ListPodSandbox: rpc('ListPodSandbox'),
                CreateContainer: rpc('CreateContainer'),
                StartContainer: rpc('StartContainer'),
                StopContainer: rpc('StopContainer'),
                RemoveContainer: rpc('RemoveContainer'),
                ListContainers: rpc('ListContainers'),
                ContainerStatus: rpc('ContainerStatus'),
                ListContainerStats: rpc('ListContainerStats'),
              },
            },
            ImageService: { methods: { ListImages: rpc('ListImages') } },
            VersionRequest: msg({ version: str(1) }),
            VersionResponse: msg({ version: str(1), runtime_name: str(2), runtime_version: str(3), runtime_api_version: str(4) }),

            // ---- sandboxes ----
            NamespaceMode: { values: { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 } },
            NamespaceOption: msg({ network: { type: 'NamespaceMode', id: 1 }, pid: { type: 'NamespaceMode', id: 2 }, ipc: { type: 'NamespaceMode', id: 3 }, target_id: str(4) }),
            LinuxSandboxSecurityContext: msg({ namespace_options: { type: 'NamespaceOption', id: 1 }, privileged: { type: 'bool', id: 6 } }),
            LinuxPodSandboxConfig: msg({ cgroup_parent: str(1), security_context: { type: 'LinuxSandboxSecurityContext', id: 2 } }),
            PodSandboxMetadata: msg({ name: str(1), uid: str(2), namespace: str(3), attempt: { type: 'uint32', id: 4 } }),
            PodSandboxConfig: msg({
              metadata: { type: 'PodSandboxMetadata', id: 1 },
              hostname: str(2),
              log_directory: str(3),
              labels: map(6),
              annotations: map(7),
              linux: { type: 'LinuxPodSandboxConfig', id: 8 },
            }),
            RunPodSandboxRequest: msg({ config: { type: 'PodSandboxConfig', id: 1 }, runtime_handler: str(2) }),
            RunPodSandboxResponse: msg({ pod_sandbox_id: str(1) }),
            StopPodSandboxRequest: msg({ pod_sandbox_id: str(1) }),
            StopPodSandboxResponse: msg({}),
            RemovePodSandboxRequest: msg({ pod_sandbox_id: str(1) }),
            RemovePodSandboxResponse: msg({}),
            PodSandboxState: { values: { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 } },
            PodSandboxStateValue: msg({ state: { type: 'PodSandboxState', id: 1 } }),
            PodSandboxFilter: msg({ id: str(1), state: { type: 'PodSandboxStateValue', id: 2 }, label_selector: map(3) }),
            ListPodSandboxRequest: msg({ filter: { type: 'PodSandboxFilter', id: 1 } }),
            PodSandbox: msg({
              id: str(1),
              metadata: { type: 'PodSandboxMetadata', id: 2 },
              state: { type: 'PodSandboxState', id: 3 },
              created_at: { type: 'int64', id: 4 },
              labels: map(5),
              annotations: map(6),
              runtime_handler: str(7),
            }),
            ListPodSandboxResponse: msg({ items: { type: 'PodSandbox', id: 1, rule: 'repeated' } }),

            // ---- containers ----
            ImageSpec: msg({ image: str(1), annotations: map(2), user_specified_image: str(18), runtime_handler: str(19), image_ref: str(20) }),
            KeyValue: msg({ key: str(1), value: str(2) }),
            ContainerMetadata: msg({ name: str(1), attempt: { type: 'uint32', id: 2 } }),
            LinuxContainerSecurityContext: msg({ privileged: { type: 'bool', id: 2 }, namespace_options: { type: 'NamespaceOption', id: 3 } }),
            LinuxContainerConfig: msg({ security_context: { type: 'LinuxContainerSecurityContext', id: 2 } }),
            ContainerConfig: msg({
              metadata: { type: 'ContainerMetadata', id: 1 },
              image: { type: 'ImageSpec', id: 2 },
              command: { type: 'string', id: 3, rule: 'repeated' },
              args: { type: 'string', id: 4, rule: 'repeated' },
              working_dir: str(5),
              envs: { type: 'KeyValue', id: 6, rule: 'repeated' },
              labels: map(9),
              annotations: map(10),
              log_path: str(11),
              linux: { type: 'LinuxContainerConfig', id: 15 },
            }),
            CreateContainerRequest: msg({ pod_sandbox_id: str(1), config: { type: 'ContainerConfig', id: 2 }, sandbox_config: { type: 'PodSandboxConfig', id: 3 } }),
            CreateContainerResponse: msg({ container_id: str(1) }),
            StartContainerRequest: msg({ container_id: str(1) }),
            StartContainerResponse: msg({}),
            StopContainerRequest: msg({ container_id: str(1), timeout: { type: 'int64', id: 2 } }),
            StopContainerResponse: msg({}),
            RemoveContainerRequest: msg({ container_id: str(1) }),
            RemoveContainerResponse: msg({}),
            ContainerState: { values: { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 } },
            ContainerStateValue: msg({ state: { type: 'ContainerState', id: 1 } }),
            ContainerFilter: msg({ id: str(1), state: { type: 'ContainerStateValue', id: 2 }, pod_sandbox_id: str(3), label_selector: map(4) }),
            ListContainersRequest: msg({ filter: { type: 'ContainerFilter', id: 1 } }),
            Container: msg({
              id: str(1),
              pod_sandbox_id: str(2),
              metadata: { type: 'ContainerMetadata', id: 3 },
              image: { type: 'ImageSpec', id: 4 },
              image_ref: str(5),
              state: { type: 'ContainerState', id: 6 },
              created_at: { type: 'int64', id: 7 },
              labels: map(8),
              annotations: map(9),
              image_id: str(10),
            }),
            ListContainersResponse: msg({ containers: { type: 'Container', id: 1, rule: 'repeated' } }),
            ContainerStatusRequest: msg({ container_id: str(1), verbose: { type: 'bool', id: 2 } }),
            ContainerStatus: msg({
              id: str(1),
              metadata: { type: 'ContainerMetadata', id: 2 },
              state: { type: 'ContainerState', id: 3 },
              created_at: { type: 'int64', id: 4 },
              started_at: { type: 'int64', id: 5 },
              finished_at: { type: 'int64', id: 6 },
              exit_code: { type: 'int32', id: 7 },
              image: { type: 'ImageSpec', id: 8 },
              image_ref: str(9),
              reason: str(10),
              message: str(11),
              labels: map(12),
              annotations: map(13),
              log_path: str(15),
              image_id: str(17),
            }),
            ContainerStatusResponse: msg({ status: { type: 'ContainerStatus', id: 1 }, info: map(2) }),

            // ---- images ----
            ImageFilter: msg({ image: { type: 'ImageSpec', id: 1 } }),
            ListImagesRequest: msg({ filter: { type: 'ImageFilter', id: 1 } }),
            Image: msg({
              id: str(1),
              repo_tags: { type: 'string', id: 2, rule: 'repeated' },
              repo_digests: { type: 'string', id: 3, rule: 'repeated' },
              size: { type: 'uint64', id: 4 },
            }),
            ListImagesResponse: msg({ images: { type: 'Image', id: 1, rule: 'repeated' } }),

            // ---- stats ----
            UInt64Value: msg({ value: { type: 'uint64', id: 1 } }),
            CpuUsage: msg({ timestamp: { type: 'int64', id: 1 }, usage_core_nano_seconds: { type: 'UInt64Value', id: 2 }, usage_nano_cores: { type: 'UInt64Value', id: 3 } }),
            MemoryUsage: msg({
              timestamp: { type: 'int64', id: 1 },
              working_set_bytes: { type: 'UInt64Value', id: 2 },
              available_bytes: { type: 'UInt64Value', id: 3 },
              usage_bytes: { type: 'UInt64Value', id: 4 },
              rss_bytes: { type: 'UInt64Value', id: 5 },
            }),
            ContainerAttributes: msg({ id: str(1), metadata: { type: 'ContainerMetadata', id: 2 }, labels: map(3), annotations: map(4) }),
            ContainerStats: msg({ attributes: { type: 'ContainerAttributes', id: 1 }, cpu: { type: 'CpuUsage', id: 2 }, memory: { type: 'MemoryUsage', id: 3 } }),
            ContainerStatsFilter: msg({ id: str(1), pod_sandbox_id: str(2), label_selector: map(3) }),
            ListContainerStatsRequest: msg({ filter: { type: 'ContainerStatsFilter', id: 1 } }),
            ListContainerStatsResponse: msg({ stats: { type: 'ContainerStats', id: 1, rule: 'repeated' } }),
          },
        },
      },
    },
  },
};
