; C++ tags for tree-sitter-cpp: these patterns, then the C query (queries/c/tags.scm) for what the
; two languages share. Where two patterns tag the same name the earlier wins, so C++ members
; (methods, constructors) come before C's functions.

(namespace_definition name: [(namespace_identifier) (nested_namespace_specifier)] @name) @definition.namespace

(class_specifier name: (type_identifier) @name body: (_)) @definition.class

(alias_declaration name: (type_identifier) @name) @definition.type

; --- Members declared or defined in the class body ------------------------------------------------
; (Wildcard children: only declarations, field declarations and function definitions have these
; declarators here, and a wildcard costs half a named node to compile.)

(field_declaration_list
  (_ declarator: (function_declarator declarator: (identifier) @name)) @definition.constructor)

(field_declaration_list
  (_ declarator: (function_declarator declarator: (destructor_name) @name)) @definition.method)

(field_declaration_list
  (_
    declarator: [
      (function_declarator declarator: (field_identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (field_identifier) @name))
      (reference_declarator (function_declarator declarator: (field_identifier) @name))
    ]) @definition.method)

; --- Members defined outside the class: `Cache<V>::Cache(...)`, `const V* Cache<V>::get(...)` ----

(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier
      scope: [(namespace_identifier) @scope (template_type name: (type_identifier) @scope)]
      name: (identifier) @name))
  (#eq? @scope @name)) @definition.constructor

(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier name: (destructor_name) @name))) @definition.method

(function_definition
  declarator: [
    (function_declarator declarator: (qualified_identifier name: (identifier) @name))
    (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier name: (identifier) @name)))
    (reference_declarator (function_declarator declarator: (qualified_identifier name: (identifier) @name)))
  ]) @definition.method

; --- Prototypes and variables in namespaces (the C query has those at file level) -----------------

(declaration_list
  (_
    declarator: [
      (function_declarator declarator: (identifier) @name)
      (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    ]) @definition.function)

(declaration_list
  (_
    declarator: [
      (identifier) @name
      (init_declarator declarator: [(identifier) @name (pointer_declarator declarator: (identifier) @name) (array_declarator declarator: (identifier) @name)])
      (pointer_declarator declarator: (identifier) @name)
      (array_declarator declarator: (identifier) @name)
    ] @definition.variable))

; --- References ---------------------------------------------------------------------------------

(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call

(call_expression function: (template_function name: (identifier) @name)) @reference.call

(new_expression type: (type_identifier) @name) @reference.class

