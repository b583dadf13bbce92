import { defineVerb } from '../verb.js';

export default defineVerb({
  summary: 'unpack an image from an OCI image layout into a new bundle (rootfs + config.json), like umoci unpack',
  args: {
    image: { description: 'LAYOUT[:REF] — an OCI image layout directory and the image’s ref name (org.opencontainers.image.ref.name; may be left out when the layout holds one image)', required: true },
    bundle: { description: 'the bundle directory to make (must not exist, or be empty)', required: true },
  },
  flags: {
    platform: { type: 'string', description: 'os/arch[/variant] to pick from a multi-platform image (default: this host’s)' },
    rootless: { type: 'boolean', description: 'write a rootless config.json (the default when not run as root)' },
    quiet: { type: 'boolean', char: 'q', description: 'no progress or summary lines (notes about what was not preserved are still shown)' },
  },
  async run(args, flags) {
    const { unpack } = await import('../image/unpack.js');
    await unpack({ image: args.image, bundle: args.bundle, platform: flags.platform, rootless: flags.rootless, quiet: flags.quiet });
  },
});
