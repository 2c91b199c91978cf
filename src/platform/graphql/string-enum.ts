import { registerEnumType } from 'type-graphql';

/**
 * A GraphQL enum over a `const` list of strings (the list the database CHECK and zod also use), with a
 * description for every value, so adding a value without documenting it does not compile.
 */
export function stringEnum<const Values extends readonly string[]>(
  name: string,
  values: Values,
  description: string,
  valueDescriptions: Record<Values[number], string>,
): { [V in Values[number]]: V } {
  const graphqlEnum = Object.fromEntries(values.map((value) => [value, value])) as { [V in Values[number]]: V };
  registerEnumType(graphqlEnum, {
    name,
    description,
    valuesConfig: Object.fromEntries(Object.entries<string>(valueDescriptions).map(([value, text]) => [value, { description: text }])) as Partial<
      Record<Values[number], { description: string }>
    >,
  });
  return graphqlEnum;
}
