// `explain --image` / `lint --image`: what running an image with planc's
// default spec would do, from its manifest and config blobs alone — no layer
// is read, nothing is unpacked. A named image user cannot be resolved
// without the image's /etc/passwd: that is said in a note.
import type { Json } from '../../planner/json.js';
import { type PlanningFlags, type Planned, planConfig } from '../planning.js';
import { isRootless } from '../rootless.js';
import { specFromImage } from './config.js';
import { Layout, hostPlatform, parseImageArg, parsePlatform, platformText, selectImage, short } from './layout.js';

export interface ImagePlanned extends Omit<Planned, 'config'> {
  /** How error pointers and lint findings name the image config. */
  configName: string;
  /** "LAYOUT:REF (linux/amd64, manifest sha256:…)". */
  image: string;
  notes: string[];
}

export function planImage(image: string, platform: string | undefined, flags: PlanningFlags, onConfig: (name: string) => void): ImagePlanned {
  const { layout: layoutArg, ref } = parseImageArg(image);
  const layout = Layout.open(layoutArg);
  try {
    const sel = selectImage(layout, ref, platform ? parsePlatform(platform) : hostPlatform(), platform !== undefined);
    const configName = `config.json made from image config ${sel.manifest.config.digest}`;
    onConfig(configName);
    const rootless = isRootless();
    const { spec, notes } = specFromImage(sel, rootless, undefined);
    const planned = planConfig(spec as Json, flags);
    const name = `${layout.path}${ref !== undefined ? `:${ref}` : ''} (${platformText(sel.platform)}, manifest ${short(sel.manifestDesc.digest)}, ${sel.manifest.layers.length} layer${sel.manifest.layers.length === 1 ? '' : 's'})`;
    return { ...planned, configName, image: name, notes };
  } finally {
    layout.close();
  }
}
