-- The identity service's database next to the catalog's (POSTGRES_DB); run once at first start.
CREATE DATABASE identity OWNER meatyapis;
