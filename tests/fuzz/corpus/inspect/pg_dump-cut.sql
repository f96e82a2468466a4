--
-- PostgreSQL database dump
--
SET x = 1;
