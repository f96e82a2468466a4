-- Demo data for the tattoo-studio schema, for PostgreSQL and SQLite alike
-- (plain INSERTs with standard literals).  August to October 2024, with
-- rows on the month boundaries, accented names, notes holding commas,
-- quotes, line breaks and a leading "=", and negative amounts (refunds,
-- corrections).

BEGIN;

INSERT INTO clientes (id, nome, email, telefone, observacoes, created_at, updated_at) VALUES
(1, 'João da Conceição', 'joao@example.com', '+55 11 98765-4321', 'Alergia a látex', '2024-07-02 10:15:00', '2024-07-02 10:15:00'),
(2, 'Maria José Gonçalves', 'mariajose@example.com', '+55 21 99876-5432', NULL, '2024-07-10 16:40:00', '2024-08-01 09:00:00'),
(3, 'Zoë Ångström', 'zoe@example.com', NULL, 'Prefere "fine line", sem sombreado', '2024-08-03 11:00:00', '2024-08-03 11:00:00'),
(4, 'Luís Araújo', NULL, '(11) 3456-7890', '', '2024-08-20 18:30:00', '2024-08-20 18:30:00'),
(5, 'Ana Beatriz Müller', 'ana.muller@example.com', '+55 31 91234-5678', 'Indicação da Maria; retorno em 30 dias', '2024-09-01 00:00:00', '2024-09-01 00:00:00'),
(6, 'Çağla Şahin', 'cagla@example.com', NULL, NULL, '2024-09-15 14:00:00', '2024-09-15 14:00:00');

INSERT INTO artistas (id, nome, comissao_percentual, created_at, updated_at) VALUES
(1, 'Rafael "Rafa" Nóbrega', 50, '2023-01-10 09:00:00', '2023-01-10 09:00:00'),
(2, 'Bárbara Lins', 45, '2023-03-05 09:00:00', '2024-06-01 09:00:00'),
(3, 'Tomás Ferreira', 40, '2024-02-12 09:00:00', '2024-02-12 09:00:00');

INSERT INTO sessoes (id, data, valor, status, cliente_id, artista_id, observacoes, created_at, updated_at) VALUES
(1, '2024-08-14', 800.00, 'concluida', 1, 1, 'Fechamento de braço, parte 1', '2024-08-01 10:00:00', '2024-08-14 18:00:00'),
(2, '2024-08-31', 350.00, 'concluida', 3, 2, 'Flor, pulso esquerdo', '2024-08-20 12:00:00', '2024-08-31 21:00:00'),
(3, '2024-09-01', 1200.00, 'concluida', 1, 1, 'Fechamento de braço, parte 2
Cliente pediu pausa de 15 min', '2024-08-15 09:00:00', '2024-09-01 15:00:00'),
(4, '2024-09-12', 450.00, 'concluida', 5, 3, 'Lettering "Amor Fati", antebraço', '2024-09-02 11:00:00', '2024-09-12 17:30:00'),
(5, '2024-09-20', 600.00, 'cancelada', 2, 2, 'Cancelada: cliente doente, remarcar', '2024-09-05 08:00:00', '2024-09-19 20:00:00'),
(6, '2024-09-30', 900.00, 'concluida', 6, 1, '=HYPERLINK("http://example.com","clique")', '2024-09-16 10:00:00', '2024-09-30 23:59:59'),
(7, '2024-10-01', 300.00, 'agendada', 4, 3, NULL, '2024-09-25 10:00:00', '2024-09-25 10:00:00');

INSERT INTO pagamentos (id, data, valor, forma_pagamento, observacoes, cliente_id, artista_id, sessao_id, created_at, updated_at) VALUES
(1, '2024-08-14', 800.00, 'cartão de crédito', 'Parcelado em 3x', 1, 1, 1, '2024-08-14 18:05:00', '2024-08-14 18:05:00'),
(2, '2024-08-31', 350.00, 'pix', NULL, 3, 2, 2, '2024-08-31 21:05:00', '2024-08-31 21:05:00'),
(3, '2024-09-01', 1200.00, 'pix', 'Sinal de R$ 200,00 pago em agosto, restante hoje', 1, 1, 3, '2024-09-01 15:10:00', '2024-09-01 15:10:00'),
(4, '2024-09-12', 450.00, 'dinheiro', 'Troco: R$ 50,00', 5, 3, 4, '2024-09-12 17:35:00', '2024-09-12 17:35:00'),
(5, '2024-09-19', -150.00, 'pix', 'Estorno do sinal da sessão cancelada
(cliente doente)', 2, 2, 5, '2024-09-19 20:10:00', '2024-09-19 20:10:00'),
(6, '2024-09-30', 900.00, 'cartão de débito', '=1+1', 6, 1, 6, '2024-09-30 23:59:59', '2024-09-30 23:59:59'),
(7, '2024-09-30', 0.01, 'pix', '', 4, NULL, NULL, '2024-09-30 12:00:00', '2024-09-30 12:00:00'),
(8, '2024-10-01', 100.00, 'pix', 'Sinal da sessão de outubro', 4, 3, 7, '2024-10-01 00:00:00', '2024-10-01 00:00:00');

INSERT INTO comissoes (id, pagamento_id, artista_id, percentual, valor, observacoes, created_at, updated_at) VALUES
(1, 1, 1, 50, 400.00, NULL, '2024-08-14 18:10:00', '2024-08-14 18:10:00'),
(2, 2, 2, 45, 157.50, NULL, '2024-08-31 21:10:00', '2024-08-31 21:10:00'),
(3, 3, 1, 50, 600.00, 'Pago junto com a parte 1', '2024-09-01 15:15:00', '2024-09-01 15:15:00'),
(4, 4, 3, 40, 180.00, NULL, '2024-09-12 17:40:00', '2024-09-12 17:40:00'),
(5, 5, 2, 45, -67.50, 'Ajuste: estorno, "sessão cancelada"', '2024-09-19 20:15:00', '2024-09-19 20:15:00'),
(6, 6, 1, 50, 450.00, '@Rafa conferir', '2024-09-30 23:59:59', '2024-09-30 23:59:59'),
(7, 8, 3, 40, 40.00, NULL, '2024-10-01 00:05:00', '2024-10-01 00:05:00');

INSERT INTO gastos (id, data, valor, descricao, forma_pagamento, created_at, updated_at) VALUES
(1, '2024-08-05', 1800.00, 'Aluguel de agosto', 'boleto', '2024-08-05 09:00:00', '2024-08-05 09:00:00'),
(2, '2024-09-02', 1800.00, 'Aluguel de setembro', 'boleto', '2024-09-02 09:00:00', '2024-09-02 09:00:00'),
(3, '2024-09-09', 389.90, 'Tintas, agulhas, luvas (caixa c/ 100)', 'cartão de crédito', '2024-09-09 13:00:00', '2024-09-09 13:00:00'),
(4, '2024-09-18', -45.00, 'Devolução: luvas tamanho errado', 'cartão de crédito', '2024-09-18 10:00:00', '2024-09-18 10:00:00'),
(5, '2024-09-25', 120.00, 'Conta de luz
(referente a agosto)', 'pix', '2024-09-25 08:30:00', '2024-09-25 08:30:00'),
(6, '2024-09-30', 75.50, '-Taxa da maquininha', 'débito automático', '2024-09-30 23:00:00', '2024-09-30 23:00:00'),
(7, '2024-10-01', 1800.00, 'Aluguel de outubro', 'boleto', '2024-10-01 09:00:00', '2024-10-01 09:00:00');

COMMIT;
