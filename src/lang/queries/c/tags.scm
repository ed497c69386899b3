; C tags for tree-sitter-c, replacing the crate's query, which tags every `enum x` (uses too) as a
; type and structs as classes, and misses macros, enumerators, fields and global variables.
; Also the base of the C++ query: only node types the two grammars share.
; A function is tagged where it is defined and where it is declared (headers hold only the latter).

; --- Macros -------------------------------------------------------------------------------------

(preproc_def name: (identifier) @name) @definition.macro

(preproc_function_def name: (identifier) @name) @definition.macro

; --- Types ------------------------------------------------------------------------------------------

(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct

(union_specifier name: (type_identifier) @name body: (_)) @definition.struct

(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum

(enumerator name: (identifier) @name) @definition.enum_member

(type_definition
  declarator: [
    (type_identifier) @name
    (pointer_declarator declarator: (type_identifier) @name)
    (function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: (type_identifier) @name)))
  ]) @definition.type

; The declarator, not the declaration, is the definition: `int a, b;` defines two siblings.
(field_declaration
  declarator: [
    (field_identifier) @name
    (pointer_declarator declarator: (field_identifier) @name)
    (array_declarator declarator: (field_identifier) @name)
  ] @definition.field)

; --- Functions ----------------------------------------------------------------------------------

(function_definition
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]) @definition.function

; Prototypes and global variables: at file level (inside `#if`s too: header guards), not in bodies,
; where C++ reads `T x(arg);` as a prototype (`#not-inside?`, checked by the extractor, drops the
; matches under a node of that kind: an `#if` inside a function body). (A wildcard child costs half a named one to compile,
; and here only declarations and function definitions have these declarators.)
(translation_unit
  (_
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    ]) @definition.function)
(preproc_if
  (_
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    ]) @definition.function
  (#not-inside? "compound_statement"))
(preproc_ifdef
  (_
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    ]) @definition.function
  (#not-inside? "compound_statement"))
(preproc_else
  (_
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    ]) @definition.function
  (#not-inside? "compound_statement"))
(preproc_elif
  (_
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    ]) @definition.function
  (#not-inside? "compound_statement"))

(translation_unit
  (_
    declarator: [
      (identifier) @name
      (init_declarator declarator: [(identifier) @name (pointer_declarator declarator: (identifier) @name) (array_declarator declarator: (identifier) @name)])
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ] @definition.variable))
(preproc_if
  (_
    declarator: [
      (identifier) @name
      (init_declarator declarator: [(identifier) @name (pointer_declarator declarator: (identifier) @name) (array_declarator declarator: (identifier) @name)])
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ] @definition.variable)
  (#not-inside? "compound_statement"))
(preproc_ifdef
  (_
    declarator: [
      (identifier) @name
      (init_declarator declarator: [(identifier) @name (pointer_declarator declarator: (identifier) @name) (array_declarator declarator: (identifier) @name)])
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ] @definition.variable)
  (#not-inside? "compound_statement"))
(preproc_else
  (_
    declarator: [
      (identifier) @name
      (init_declarator declarator: [(identifier) @name (pointer_declarator declarator: (identifier) @name) (array_declarator declarator: (identifier) @name)])
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ] @definition.variable)
  (#not-inside? "compound_statement"))
(preproc_elif
  (_
    declarator: [
      (identifier) @name
      (init_declarator declarator: [(identifier) @name (pointer_declarator declarator: (identifier) @name) (array_declarator declarator: (identifier) @name)])
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ] @definition.variable)
  (#not-inside? "compound_statement"))

; --- References ---------------------------------------------------------------------------------

(call_expression function: (identifier) @name) @reference.call

(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
