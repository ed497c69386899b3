; Bash tags for tree-sitter-bash: functions, and the variables a script sets at its top level
; (`readonly` ones as constants). Variables set inside functions are locals and not tagged.

(function_definition name: (word) @name) @definition.function

(program
  (declaration_command
    "readonly"
    (variable_assignment name: (variable_name) @name)) @definition.constant)

(program
  (declaration_command
    (variable_assignment name: (variable_name) @name)) @definition.variable)

(program
  (variable_assignment name: (variable_name) @name) @definition.variable)

; Every command is a call: functions of this file or others, or programs.
(command name: (command_name (word) @name)) @reference.call
