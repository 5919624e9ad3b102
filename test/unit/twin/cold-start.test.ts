import type { Context } from 'aws-lambda';
import { ColdStarts } from '../../../local/pipeline/cold-start';
import type { LambdaHandler } from '../../../local/pipeline/lambda-invoke';

const context = {} as Context;

describe('ColdStarts: each function loads on its first invocation, as on Lambda', () => {
  it('is cold until invoked, loads once for concurrent first calls, then stays warm', async () => {
    // Arrange
    const loads: string[] = [];
    let finishLoad!: () => void;
    const loaded = new Promise<void>((resolve) => (finishLoad = resolve));
    const functions = new ColdStarts(['articles', 'media'], async (name) => {
      loads.push(name);
      await loaded;
      return ((event: unknown) => ({ name, event })) as LambdaHandler;
    });
    const articles = functions.handlerFor('articles');

    // Act
    const first = articles('a', context);
    const second = articles('b', context);
    const during = functions.snapshot();
    finishLoad();
    const answers = await Promise.all([first, second, articles('c', context)]);

    // Assert
    expect(during).toEqual({ articles: 'initializing', media: 'cold' });
    expect(answers).toEqual([
      { name: 'articles', event: 'a' },
      { name: 'articles', event: 'b' },
      { name: 'articles', event: 'c' },
    ]);
    expect(loads).toEqual(['articles']);
    expect(functions.snapshot()).toEqual({ articles: 'warm', media: 'cold' });
  });

  it('fails every invocation of a function whose module cannot load, and says why', async () => {
    let attempts = 0;
    const functions = new ColdStarts(['thumbnail'], async () => {
      attempts++;
      throw new Error("Cannot find module 'sharp'\nRequire stack: ...");
    });
    const thumbnail = functions.handlerFor('thumbnail');

    for (const _ of [1, 2])
      await expect(thumbnail({}, context)).rejects.toMatchObject({
        name: 'Lambda.ResourceNotFoundException',
        message: "functions/thumbnail/handler could not be loaded: Cannot find module 'sharp'",
      });
    expect(attempts).toBe(1);
    expect(functions.snapshot()).toEqual({ thumbnail: "init failed: Cannot find module 'sharp'" });
  });

  it('refuses a function it does not have, without listing it', async () => {
    const functions = new ColdStarts(['record'], async () => () => undefined);

    await expect(functions.handlerFor('nope')({}, context)).rejects.toMatchObject({
      name: 'Lambda.ResourceNotFoundException',
      message: 'functions/nope/handler could not be loaded: unknown function',
    });
    expect(functions.snapshot()).toEqual({ record: 'cold' });
  });
});
