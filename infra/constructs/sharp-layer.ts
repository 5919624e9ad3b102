import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FUNCTION_RUNTIME } from '../bundling';
import { SHARP_LAYER_DIR } from '../repository';

/** Properties of a {@link SharpLayer}. */
export interface SharpLayerProps {
  /**
   * Folder holding `nodejs/node_modules/sharp` built for linux-arm64-glibc.
   * @default `layers/sharp` at the repository root
   */
  readonly layerDir?: string;
}

/**
 * sharp and its libvips binaries for Lambda (linux, arm64, glibc), as a layer under
 * `/opt/nodejs/node_modules`. The root `postinstall` installs them with
 * `npm ci --prefix layers/sharp/nodejs --cpu=arm64 --os=linux --libc=glibc`, so any build machine
 * (x64 or arm64, Linux or macOS) produces the same layer without Docker. The thumbnail bundle
 * keeps `sharp` external and resolves it from here.
 */
export class SharpLayer extends Construct {
  /** The layer version. */
  public readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: SharpLayerProps = {}) {
    super(scope, id);
    const layerDir = props.layerDir ?? SHARP_LAYER_DIR;
    const native = path.join(layerDir, 'nodejs', 'node_modules', '@img', 'sharp-linux-arm64');
    if (!existsSync(path.join(layerDir, 'nodejs', 'node_modules', 'sharp')) || !existsSync(native)) {
      throw new Error(
        `sharp for linux-arm64 is missing from ${layerDir}/nodejs/node_modules. Run \`npm ci\` at the repository root: its postinstall installs the Lambda build of sharp there.`,
      );
    }

    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: 'sharp with libvips for Node.js on linux-arm64-glibc',
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      compatibleRuntimes: [FUNCTION_RUNTIME],
      code: lambda.Code.fromAsset(layerDir, {
        // Ship only what Node resolves at run time: the package manifest and node_modules,
        // without sources, type declarations, docs and npm's bookkeeping.
        exclude: [
          '**',
          '!nodejs',
          '!nodejs/package.json',
          '!nodejs/node_modules',
          '!nodejs/node_modules/**',
          'nodejs/node_modules/.bin',
          'nodejs/node_modules/.package-lock.json',
          'nodejs/node_modules/sharp/src',
          'nodejs/node_modules/sharp/install',
          '**/*.md',
          '**/*.d.ts',
          '**/*.d.cts',
          '**/*.d.mts',
        ],
      }),
    });
  }
}
