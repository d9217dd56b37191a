/**
 * Python that the executor puts into every kernel of its own (beside the sandbox's start-up
 * code), kept here so that what runs in users' kernels is visible in one place.
 */

/** Imported before the first cell, so that cells (nearly all use them) start at once. */
export const PRELOAD_CODE = 'import numpy, pandas, matplotlib.pyplot';

/** Name of the function that {@link VARIABLES_EXPRESSION} calls. */
const VARIABLES_FUNCTION = '_assay_variables';

/**
 * Defines a function that describes the user's variables (name, type, shape or length, a frame's
 * column dtypes; never values). It is hidden from the user's namespace listing (`%who`, and our own listing) and
 * costs well under a millisecond for a typical notebook: no value is converted or copied.
 */
export const VARIABLES_HELPER_CODE = String.raw`
def ${VARIABLES_FUNCTION}(limit=200):
    import itertools, types
    ip = get_ipython()
    hidden = ip.user_ns_hidden
    described = []
    for name, value in list(ip.user_ns.items()):
        if name.startswith('_') or name in hidden or name in ('In', 'Out', 'exit', 'quit', 'get_ipython'):
            continue
        if isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)):
            continue
        entry = {'name': name, 'type': type(value).__name__, 'shape': None, 'length': None, 'dtypes': None}
        shape = getattr(value, 'shape', None)
        if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
            entry['shape'] = list(shape)
        elif isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
            entry['length'] = len(value)
        # A DataFrame's dtypes is a Series (a Series' own is a single dtype): names and types only.
        dtypes = getattr(value, 'dtypes', None)
        if callable(getattr(dtypes, 'items', None)):
            try:
                entry['dtypes'] = {str(column): str(dtype) for column, dtype in itertools.islice(dtypes.items(), 200)}
            except Exception:
                pass
        described.append(entry)
        if len(described) >= limit:
            break
    class _Json:
        def _repr_json_(self):
            return described
    return _Json()
get_ipython().user_ns_hidden['${VARIABLES_FUNCTION}'] = ${VARIABLES_FUNCTION}
`;

/** The user expression that returns the variables as application/json. */
export const VARIABLES_EXPRESSION = `${VARIABLES_FUNCTION}()`;
