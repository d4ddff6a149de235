/**
 * Kubernetes pause (sandbox) image names: Scope's three, plus the registries and mirrors that ship
 * the pause image today (Scope's list predates registry.k8s.io). One list for the probe's
 * Kubernetes tagger and the render's container filters, so they never disagree.
 */
const PAUSE_IMAGES: readonly string[] = [
  'google_containers/pause',
  'k8s.gcr.io/pause',
  'eks/pause',
  'registry.k8s.io/pause',
  'gcr.io/google-containers/pause',
  'rancher/mirrored-pause',
  'rancher/pause',
  'openshift/origin-pod',
  'mcr.microsoft.com/oss/kubernetes/pause',
  'kubesphere/pause',
];

/** Whether an image name is a Kubernetes pause (sandbox) image. */
export function isPauseImageName(imageName: string): boolean {
  return PAUSE_IMAGES.some((p) => imageName.includes(p));
}
