/**
 * The Kubernetes tagger (wire §5.9, any role): a container started by the kubelet carries the pod's
 * UID in its `io.kubernetes.pod.uid` label; that container gets the pod as parent. Sandbox (pause)
 * containers are marked `does_not_make_connections` so the app gives their connections to the pod's
 * other containers instead.
 */
import { makePodNodeId } from '../../report/ids.js';
import { isPauseImageName } from '../../report/pause-images.js';
import { nowTime } from '../../report/time.js';
import type { Report } from '../../report/types.js';
import type { Tagger } from '../types.js';

const POD_UID_LABEL = 'docker_label_io.kubernetes.pod.uid';
const CONTAINER_TYPE_LABEL = 'docker_label_io.kubernetes.docker.type';
/** Whether an image name is a Kubernetes sandbox image (the list the render's filters use too). */
export const isPauseImage = isPauseImageName;

export function createKubernetesTagger(): Tagger {
  return {
    name: 'kubernetes',
    tag(report: Report): void {
      const images = report.topologies.container_image.nodes;
      const now = nowTime();
      for (const node of report.topologies.container.nodes.values()) {
        const uid = node.latest.get(POD_UID_LABEL)?.value;
        if (uid === undefined || uid === '') continue;
        node.parents.set('pod', [makePodNodeId(uid)]);
        let pause = node.latest.get(CONTAINER_TYPE_LABEL)?.value === 'podsandbox';
        if (!pause) {
          const imageName = node.latest.get('docker_image_name')?.value;
          if (imageName !== undefined && isPauseImage(imageName)) pause = true;
          for (const imageId of node.parents.get('container_image') ?? []) {
            const img = images.get(imageId)?.latest.get('docker_image_name')?.value;
            if (img !== undefined && isPauseImage(img)) pause = true;
          }
        }
        if (pause) node.latest.set('does_not_make_connections', { timestamp: now, value: '' });
      }
    },
  };
}
