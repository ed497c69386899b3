; Python tags added to the crate's query, and placed before it: where both tag one name, ours wins.
; The crate tags methods as functions and every module-level assignment as a constant; by
; convention only UPPER_CASE names are constants.

(class_definition
  body: (block
    [
      (function_definition name: (identifier) @name)
      (decorated_definition definition: (function_definition name: (identifier) @name))
    ] @definition.method))

(module
  (expression_statement (assignment left: (identifier) @name) @definition.variable)
  (#not-match? @name "^_*[A-Z][A-Z0-9_]*$"))
