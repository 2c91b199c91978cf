import { writeFileSync } from 'node:fs';
import { printPebbleSchema } from '../src/schema';

/** `npm run schema`: regenerates the committed schema.graphql from the resolvers. */
printPebbleSchema().then((sdl) => writeFileSync('schema.graphql', sdl));
