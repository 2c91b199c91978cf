import { GraphQLError, Kind, type SelectionSetNode, type ValidationRule } from 'graphql';

/**
 * Rejects an operation whose fields nest deeper than `maxDepth` (root fields are depth 1). Introspection
 * fields count like any other, so GRAPHQL_MAX_DEPTH bounds every document a client can send.
 * Replaces graphql-depth-limit, which skipped `__` fields and crashed (500) on unknown or cyclic fragments.
 */
export function depthLimit(maxDepth: number): ValidationRule {
  return (context) => {
    const fragmentDepths = new Map<string, number>();

    const depthOf = (selectionSet: SelectionSetNode, visiting: Set<string>): number => {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, visiting) : 0));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, visiting));
        } else {
          deepest = Math.max(deepest, fragmentDepth(selection.name.value, visiting));
        }
      }
      return deepest;
    };

    // A fragment's depth does not depend on where it is spread, so each is measured once.
    const fragmentDepth = (name: string, visiting: Set<string>): number => {
      const known = fragmentDepths.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      // Unknown and cyclic spreads are reported by graphql's KnownFragmentNames and NoFragmentCycles rules.
      if (!fragment || visiting.has(name)) return 0;
      visiting.add(name);
      const depth = depthOf(fragment.selectionSet, visiting);
      visiting.delete(name);
      fragmentDepths.set(name, depth);
      return depth;
    };

    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, new Set());
        if (depth <= maxDepth) return;
        const name = operation.name ? `Operation "${operation.name.value}"` : 'The operation';
        context.reportError(new GraphQLError(`${name} is nested ${depth} levels deep; the maximum depth is ${maxDepth}.`, { nodes: operation }));
      },
    };
  };
}
