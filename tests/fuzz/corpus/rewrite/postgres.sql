\restrict k
SET standard_conforming_strings = on;
CREATE FUNCTION f() AS $_$ 'x' $_$;
COPY public.wp_options (option_id, option_value) FROM stdin;
1	s:15:"www.example.com";\ttab
2	\\x7777772e6578616d706c652e636f6d
3	\N
\.
INSERT INTO public.t VALUES (1, E'it\'s http%3A%2F%2Fex.org%3A8080%2Fp'), (2, 'a''b //www.example.com');
