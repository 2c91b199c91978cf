import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  type GraphQLArgument,
  type GraphQLNamedType,
} from 'graphql';
import { resolvers as graphqlScalars } from 'graphql-scalars';
import { buildPebbleSchema, printPebbleSchema } from '../../src/schema';

const COMMITTED_SCHEMA = join(__dirname, '..', '..', 'schema.graphql');

/** Every schema coordinate (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`) whose description is blank. */
function undescribed(type: GraphQLNamedType): string[] {
  const blank = (description: string | null | undefined) => !description?.trim();
  const args = (owner: string, list: readonly GraphQLArgument[]) =>
    list.filter((arg) => blank(arg.description)).map((arg) => `${owner}(${arg.name}:)`);
  const missing = blank(type.description) ? [type.name] : [];
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      if (blank(field.description)) missing.push(coordinate);
      missing.push(...args(coordinate, field.args));
    }
  }
  if (isInputObjectType(type)) {
    missing.push(...Object.values(type.getFields()).filter((f) => blank(f.description)).map((f) => `${type.name}.${f.name}`));
  }
  if (isEnumType(type)) {
    missing.push(...type.getValues().filter((v) => blank(v.description)).map((v) => `${type.name}.${v.name}`));
  }
  return missing;
}

describe('GraphQL schema', () => {
  it('matches the committed schema.graphql', async () => {
    const printed = await printPebbleSchema();
    const committed = readFileSync(COMMITTED_SCHEMA, 'utf8');
    expect(printed).toContain('type Query');
    if (printed !== committed) {
      const printedLines = printed.split('\n');
      const committedLines = committed.split('\n');
      const line = printedLines.findIndex((text, index) => text !== committedLines[index]);
      throw new Error(
        'schema.graphql is out of date with the resolvers: run `npm run schema` and commit the result.\n' +
          `First difference at line ${line + 1}:\n  committed: ${committedLines[line] ?? '<end of file>'}\n  resolvers: ${printedLines[line] ?? '<end of file>'}`,
      );
    }
  });

  it('describes every type, field, argument, input field and enum value', async () => {
    const schema = await buildPebbleSchema();
    const own = Object.values(schema.getTypeMap()).filter(
      (type) => !type.name.startsWith('__') && !(isScalarType(type) && (isSpecifiedScalarType(type) || type.name in graphqlScalars)),
    );
    const directives = schema.getDirectives().filter((directive) => !isSpecifiedDirective(directive));
    const missing = [
      ...own.flatMap(undescribed),
      ...directives.flatMap((d) => [...(d.description?.trim() ? [] : [`@${d.name}`]), ...d.args.filter((a) => !a.description?.trim()).map((a) => `@${d.name}(${a.name}:)`)]),
    ];

    // Guards the walk itself: the root types, an input type and an enum are all in view.
    expect(own.map((type) => type.name)).toEqual(expect.arrayContaining(['Query', 'Mutation', 'Company', 'CreateCompanyInput', 'UserRole']));
    expect(missing).toEqual([]);
  });
});
