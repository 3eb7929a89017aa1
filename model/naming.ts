/**
 * The names the API derives from an entity type's name (docs/model.md, Names derived from a type), e.g. for
 * `WorkOrder`: query field and ChangeInput key `workOrder`, EntityType value `WORK_ORDER`,
 * client accessor `workOrders`. One function per rule so server, client and generator agree.
 */

/** `WorkOrder` -> `workOrder`; a leading acronym is lowered as a word: `URLLink` -> `urlLink`. */
export function lowerCamel(name: string): string {
  const leadingCapitals = /^[A-Z]+/.exec(name)?.[0] ?? '';
  if (leadingCapitals.length <= 1) return name.charAt(0).toLowerCase() + name.slice(1);
  if (leadingCapitals.length === name.length) return name.toLowerCase();
  // In `URLLink` the L of Link starts the next word when a lowercase letter follows it.
  const nextIsLetter = /[a-z]/.test(name.charAt(leadingCapitals.length));
  const acronym = nextIsLetter ? leadingCapitals.slice(0, -1) : leadingCapitals;
  return acronym.toLowerCase() + name.slice(acronym.length);
}

/** `WorkOrder` -> `WORK_ORDER`, `URLLink` -> `URL_LINK`, `Batch2Item` -> `BATCH2_ITEM`. */
export function constantCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

/**
 * The client accessor: lower-camel name + `s`; `y` after a consonant -> `ies`; after `s`, `x`,
 * `z`, `ch`, `sh` -> `es`. Irregular plurals are written with `@entity(plural:)`.
 */
export function defaultPlural(name: string): string {
  const singular = lowerCamel(name);
  if (/[^aeiou]y$/i.test(singular)) return `${singular.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(singular)) return `${singular}es`;
  return `${singular}s`;
}

export const setAddFieldName = (field: string): string => `${field}Add`;
export const setRemoveFieldName = (field: string): string => `${field}Remove`;
export const counterDeltaFieldName = (field: string): string => `${field}Delta`;
export const patchInputName = (entity: string): string => `${entity}Patch`;
export const changeInputName = (entity: string): string => `${entity}Change`;

/** A GraphQL name: what every derived name must be to appear in schema.graphql. */
export const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
