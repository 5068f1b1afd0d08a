-- expect: TK506 schema public
GRANT CREATE ON SCHEMA public TO :"app";
