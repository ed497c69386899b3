; Lua tags added to the crate's query, and placed before it: where both tag one name, ours wins.
; The crate tags functions only; a module's top-level variables (`local M = {}`) are added.

; A function value makes a function (the crate's pattern, repeated so that variables do not take it).
(assignment_statement
  (variable_list
    .
    name: [
      (identifier) @name
      (dot_index_expression field: (identifier) @name)
    ])
  (expression_list . value: (function_definition))) @definition.function

; Top-level variables, local or global. A statement naming one variable is its definition (a table's
; functions are inside it); where a statement names several, each name is its own.
[
  (chunk (variable_declaration (assignment_statement (variable_list . name: (identifier) @name .)) @definition.variable))
  (chunk (assignment_statement (variable_list . name: (identifier) @name .)) @definition.variable)
  (chunk (variable_declaration (variable_list . name: (identifier) @name .)) @definition.variable)
]

[
  (chunk (variable_declaration (assignment_statement (variable_list name: (identifier) @name @definition.variable))))
  (chunk (assignment_statement (variable_list name: (identifier) @name @definition.variable)))
  (chunk (variable_declaration (variable_list name: (identifier) @name @definition.variable)))
]
