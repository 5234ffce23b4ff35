// Its own module (no parser imported), so the store can stamp what it stores without loading the parser.
/**
 * The version of what parseProfiles makes of a text: stored with each profile version's parsed form, which the
 * hub plans from instead of parsing the source again (issue 15). Bump it whenever the same text would parse to
 * a different ClusterProfile (a new field, default or normalization): versions stored by an older parser are
 * then parsed again from their source.
 */
export const PROFILE_PARSER_VERSION = 1;
