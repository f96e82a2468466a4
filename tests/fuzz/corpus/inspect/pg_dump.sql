--
-- PostgreSQL database dump
--

\restrict PjV0s6ieZmv7NW8zPiNdHCil79PEdlqRC38i2oXCtpD9U742LzcazaScS0dhaVm

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: t; Type: TABLE; Schema: public; Owner: bk
--

CREATE TABLE public.t (
    id integer NOT NULL,
    v text
);


ALTER TABLE public.t OWNER TO bk;

--
-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: bk
--

COPY public.t (id, v) FROM stdin;
1	a
2	b
\.


--
-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: bk
--

ALTER TABLE ONLY public.t
    ADD CONSTRAINT t_pkey PRIMARY KEY (id);


--
-- PostgreSQL database dump complete
--

\unrestrict PjV0s6ieZmv7NW8zPiNdHCil79PEdlqRC38i2oXCtpD9U742LzcazaScS0dhaVm

